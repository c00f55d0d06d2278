# The default demo: the tiny CLEAR on the synthetic pedestrians, on a CPU.
# The 256x128 images are resized to 128x64 (the tiny preset's input), and
# the model is trained from scratch, hence a larger lr than the paper's 1e-5
# fine-tuning recipe, and smaller batches (more updates in the time budget).
_base_ = [
    '../_base_/models/clear_tiny.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_20e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=26))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # (w, h); 'area' averages pixels, so thin stripes do not alias.
    dict(type='Resize', scale=(64, 128), interpolation='area'),
    # No RandomCrop: the renderer already jitters position and scale, and
    # every update counts in the demo's time budget.
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 128), interpolation='area'),
    dict(type='PackInputs'),
]
# One loader worker: on 2 cores more workers steal time from the model.
train_dataloader = dict(
    batch_size=16, num_workers=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))

max_epochs = 18
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    # end and T_max: the training length (train_cfg.max_epochs)
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-5),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
default_hooks = dict(logger=dict(interval=50))
