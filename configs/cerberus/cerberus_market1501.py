# Cerberus (Eom et al.; paper 003) on Market-1501 with its attribute
# annotation: one model for person re-identification (image queries), APS
# (attribute queries, by SID prototypes) and PAR (nearest prototypes).
# ResNet-50 cut at conv4_1 with a global and a local tail (last stride 1:
# 24 x 8 maps at 384 x 128), d = 512, sigma = 5, lambda_id = 1,
# lambda_sem = 5, lambda_reg = 0.001, alpha = 0.4, beta = 1.8; Adam 3.5e-4
# with a linear warm-up over 2k iterations then cosine, 24k iterations;
# 16 persons x 4 images per batch; flip + random erasing (Sec. 4.1.2).
# ImageNet ResNet-50 (torchvision's weights).
#   python tools/train.py configs/cerberus/cerberus_market1501.py
_base_ = [
    '../_base_/datasets/market1501.py',
    '../_base_/runtimes/cerberus.py',
]
model = dict(
    _scope_='clear_mm',
    type='Cerberus',
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        init_cfg=dict(
            type='StrictPretrained',
            weights='torchvision/resnet50.IMAGENET1K_V1')),
    num_attributes=30,
    # SIDs of the training identities per group (head, upper, lower,
    # identity, carrying): 66 in all, the paper's count; checked at start
    num_sids=[4, 16, 34, 8, 4],
    num_ids=751,
    embed_dims=512,
    sigma=5.0,
    alpha=0.4,
    beta=1.8,
    sem_loss=dict(type='SemanticGuidanceLoss', loss_weight=5.0),
    id_loss=dict(type='IdentificationLoss', loss_weight=1.0),
    reg_weight=0.001)
keys = ['person_id', 'camera_id', 'is_query']
train_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(128, 384)),  # (w, h)
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand'),
    dict(type='PackInputs', algorithm_keys=keys),
]
test_pipeline = [
    dict(type='LoadPedestrianImage'),
    dict(type='Resize', scale=(128, 384)),
    dict(type='PackInputs', algorithm_keys=keys),
]
train_dataloader = dict(
    batch_size=64,  # 16 persons x 4 images
    sampler=dict(_delete_=True, type='IdentityBalancedSampler',
                 num_instances=4),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(split='reid', pipeline=test_pipeline))
test_dataloader = val_dataloader
# PAR as its Table 3 reports it as well: accuracy of the 12 Market-1501
# attributes, age and the upper / lower colours multi-class
val_evaluator = [
    *_base_.val_evaluator,
    dict(type='AttributeAccuracyMetric',
         multiclass=('age', 'upper_color', 'lower_color')),
]
test_evaluator = val_evaluator
max_iters = 24000
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=3.5e-4, betas=(0.9, 0.999),
                   weight_decay=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=2000),
    # end, T_max: to the last iteration (MMEngine takes train_cfg.max_iters)
    dict(type='CosineAnnealingLR', by_epoch=False, begin=2000, eta_min=0.0),
]
train_cfg = dict(by_epoch=False, max_iters=max_iters, val_interval=4000)
val_cfg = dict()
test_cfg = dict()
