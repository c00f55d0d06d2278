# Shared pedestrian-attribute data setting (CLEAR Sec. 4.2): 256x128 input,
# Pad 10 + RandomCrop + horizontal flip for training, ImageNet mean/std.
# The evaluators are the runtime's (_base_/runtimes/).
data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)
train_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(128, 256)),  # (w, h)
    dict(type='RandomCrop', crop_size=(256, 128), padding=10),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['gt_ignore']),
]
test_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(128, 256)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', pipeline=test_pipeline),
)
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', pipeline=test_pipeline),
)
