# The project's own synthetic pedestrians (PA100K schema), rendered on first
# use into data/synthetic, at the CPU-sized models' 128x64 input (the tiny
# CLEAR, the narrow ResNet-18s) and sized for a 2-core CPU.
_base_ = ['./par_256x128.py']
dataset_type = 'SyntheticPedestrians'
data_root = 'data/synthetic'
generator = dict(num_train=3000, num_val=500, num_test=1000, seed=0)
train_pipeline = [
    dict(type='LoadPedestrianImage'),
    # (w, h); 'area' averages pixels, so thin stripes do not alias.
    dict(type='Resize', scale=(64, 128), interpolation='area'),
    # No RandomCrop: the renderer already jitters position and scale, and
    # every update counts in a CPU's time budget.
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(64, 128), interpolation='area'),
    dict(type='PackInputs'),
]
# One loader worker: on 2 cores more workers steal time from the model.
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline,
        **generator))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline,
        **generator))
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline,
        **generator))
