# Cerberus on the synthetic pedestrians in identity mode (4 images per
# person, 3 cameras; one appearance and attribute vector per person, the
# view per image), sized for a 2-core CPU: a narrow ResNet-18 (base width
# 32, last stride 1) trained from scratch at 128 x 64 (8 x 4 maps), d = 128,
# 16 persons x 4 images per batch, trained until validation plateaus:
# validation every 500 iterations; the lr drops 10x when the APS mAP has not
# risen by 1% (relative) since the last validation, and training stops
# after 3 validations without a gain of 0.5 (at most 8,000 iterations).
# The test also runs the partial-query APS protocol (PartialQueryMetric:
# k = 0..3 attribute groups unknown, Cerberus' known-groups encoding) and
# reports seen / unseen attribute queries apart. The PA100K schema's
# view (Front/Side/Back) is in no SID group: Cerberus predicts it as absent,
# so PAR is reported per attribute (classwise) as well.
#   python tools/train.py configs/cerberus/cerberus_synthetic.py
_base_ = ['./cerberus_market1501.py']
model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        stem_channels=32,
        init_cfg=[
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]),  # mmpretrain ResNet's own: from scratch
    num_attributes=26,
    # head, upper, lower, identity, carrying: SIDs of the 500 training
    # persons (checked at start)
    num_sids=[4, 24, 18, 6, 15],
    num_ids=500,
    embed_dims=128,
    sigma=0.0)  # no threshold on the small maps' magnitudes: the alignment
# module keeps every row (set sigma > 0 to crop)
data_root = 'data/synthetic_ids'
generator = dict(num_train=2000, num_val=400, num_test=800, seed=0,
                 identities=dict(images_per_id=4, num_cameras=3))
keys = ['person_id', 'camera_id', 'is_query']
train_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(64, 128), interpolation='area'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand'),
    dict(type='PackInputs', algorithm_keys=keys),
]
test_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(64, 128), interpolation='area'),
    dict(type='PackInputs', algorithm_keys=keys),
]
train_dataloader = dict(
    num_workers=1,
    persistent_workers=False,
    dataset=dict(
        _delete_=True, type='SyntheticPedestrians', data_root=data_root,
        split='train', pipeline=train_pipeline, **generator))
val_dataloader = dict(
    num_workers=1,
    persistent_workers=False,
    dataset=dict(
        _delete_=True, type='SyntheticPedestrians', data_root=data_root,
        split='reid', pipeline=test_pipeline, **generator))
test_dataloader = val_dataloader
# PAR per attribute as well (the view is in no SID group)
val_evaluator = [
    *_base_.val_evaluator[:2],
    dict(type='PARMetric', classwise=True),
]
test_evaluator = [
    *val_evaluator,
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
max_iters = 8000
default_hooks = dict(
    checkpoint=dict(interval=500, save_best='reid/mAP'),
    logger=dict(interval=50))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=150),
    # by_epoch=True: MMEngine hands validation metrics only to epoch-wise
    # schedulers; it then steps at every validation (each 500 iterations)
    dict(type='ReduceOnPlateauLR', monitor='aps/mAP', rule='greater',
         factor=0.1, patience=0, threshold=0.01, by_epoch=True),
]
custom_hooks = [
    *_base_.custom_hooks,
    dict(type='EarlyStoppingHook', monitor='aps/mAP', rule='greater',
         min_delta=0.5, patience=3),
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
