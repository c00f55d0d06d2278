# CLIP zero-shot PAR (paper 002) on PETA (35 attributes):
# clip_zeroshot_pa100k.py with this dataset's test split.
#   python tools/test.py configs/clip/clip_zeroshot_peta.py
_base_ = ['./clip_zeroshot_pa100k.py']
dataset_type = 'PETA'
data_root = 'data/PETA'
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
