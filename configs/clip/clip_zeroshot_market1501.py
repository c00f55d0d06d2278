# CLIP zero-shot PAR (paper 002) on Market-1501 attributes:
# clip_zeroshot_pa100k.py with this dataset's test split.
#   python tools/test.py configs/clip/clip_zeroshot_market1501.py
_base_ = ['./clip_zeroshot_pa100k.py']
dataset_type = 'Market1501Attr'
data_root = 'data/Market-1501'
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
