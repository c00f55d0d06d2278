_base_ = ['./par_256x128.py']
# The project's own synthetic pedestrians (PA100K schema), rendered on first
# use into data/synthetic. Small batches and workers for a 2-core CPU.
dataset_type = 'SyntheticPedestrians'
data_root = 'data/synthetic'
generator = dict(num_train=3000, num_val=500, num_test=1000, seed=0)
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, **generator))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, **generator))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, **generator))
