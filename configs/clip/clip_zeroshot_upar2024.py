# CLIP zero-shot PAR (paper 002) on UPAR 2024: clip_zeroshot_pa100k.py with
# this dataset's test split.
#   python tools/test.py configs/clip/clip_zeroshot_upar2024.py
_base_ = ['./clip_zeroshot_pa100k.py']
dataset_type = 'UPAR2024'
data_root = 'data/UPAR2024'
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
