# CLIP zero-shot PAR (paper 002) on RAP v2: clip_zeroshot_pa100k.py with
# this dataset's test split.
#   python tools/test.py configs/clip/clip_zeroshot_rapv2.py
_base_ = ['./clip_zeroshot_pa100k.py']
dataset_type = 'RAPv2'
data_root = 'data/RAPv2'
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
