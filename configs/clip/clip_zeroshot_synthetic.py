# CLIP zero-shot PAR (paper 002) on the synthetic pedestrians:
# clip_zeroshot_pa100k.py with the synthetic test split (256 x 128).
#   python tools/test.py configs/clip/clip_zeroshot_synthetic.py
_base_ = ['./clip_zeroshot_pa100k.py']
dataset_type = 'SyntheticPedestrians'
data_root = 'data/synthetic'
generator = dict(num_train=3000, num_val=500, num_test=1000, seed=0)
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, **generator))
