# Paper 004's multi-task transformer (Sec. 3, Tables 3.1/3.2) on a
# ResNet-50: its 2048 x 8 x 4 map (256 x 128 input) -> 2 x 2 patches -> 8
# visual tokens of d = 384 (the paper's 382 is not divisible by 12 heads)
# plus N attribute tokens -> 3 pre-norm blocks, 12 heads; attribute tokens
# -> one classifier each (weighted BCE); GAP(visual tokens) -> FC -> 128-d
# image embedding, aligned with the attribute encoder N -> 512 -> 128 -> 128
# by the MA loss + ASMR. lambda_MA = 1 (the paper).
# The backbone starts from ImageNet (torchvision's ResNet-50); the paper
# initialises it from the PAR baseline it trained
# (configs/multitask/baseline_par_r50_*.py):
#   --cfg-options model.backbone.init_cfg.source=mmpretrain \
#       model.backbone.init_cfg.prefix=backbone. \
#       model.backbone.init_cfg.checkpoint=<that checkpoint>
num_attributes = 35
model = dict(
    _scope_='clear_mm',
    type='MultiTaskAttributeTransformer',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        init_cfg=dict(
            type='StrictPretrained',
            weights='torchvision/resnet50.IMAGENET1K_V1')),
    transformer=dict(
        type='AttributeTokenTransformer',
        in_channels=2048,
        feat_size=(8, 4),
        patch_size=2,
        embed_dims=384,
        num_layers=3,
        num_heads=12),
    head=dict(
        type='AttributeTokenHead',
        num_classes=num_attributes,
        in_channels=384,
        loss=dict(type='WeightedBCELoss')),
    embed_dims=128,
    encoder_channels=(512, 128),
    ma_loss=dict(type='AngularMarginLoss', scale=12.0, margin=0.2),
    ma_weight=1.0,
    # lambda_ASMR: ASMR's value is not in the papers we have; 1.0 is ours.
    regularizer=dict(type='ASMRLoss', num_groups=8, loss_weight=1.0),
)
# mean/std: the dataset configs' data_preprocessor (merged by the Runner).
