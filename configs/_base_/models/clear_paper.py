# CLEAR cross-transformers as the paper text describes them
# (docs/method_notes.md, "Cross-transformers"):
# ViT-1024 x 12 (patch 14) + Swin 128..1024 (2, 2, 6, 2), window 12, CASA.
# Branches from the first 12 blocks of EVA-L/14 (its final norm follows
# block 24: ln1 fresh) and Swin-B 22k window 12 (stage 3: the first 6 of 18
# blocks); CASA, the fusion and the head fresh (docs/method_notes.md,
# "Pretrained initialisation"; files in checkpoints/, see docs/pretrained_weights.md).
model = dict(
    _scope_='clear_mm',
    type='ImageClassifier',
    backbone=dict(
        type='CrossTransformer',
        arch='paper',
        global_branch=dict(
            init_cfg=dict(
                type='StrictPretrained',
                weights='timm/eva_large_patch14_196.in22k_ft_in1k',
                fresh=[r'^ln1\.'])),
        local_branch=dict(
            init_cfg=dict(
                type='StrictPretrained',
                weights='timm/swin_base_patch4_window12_384.ms_in22k',
                fresh=[r'^casa\.']))),
    neck=dict(
        type='CrossFusionNeck',
        global_channels=1024,
        local_channels=1024,
        local_size=(8, 4),
        embed_dims=768,
        num_heads=8,
        local_pool='flatten',
        cross_fusion=True,
        fuse='concat'),
    head=dict(
        type='PARHead',
        num_classes=26,
        in_channels=1536,
        loss=dict(type='WeightedBCELoss')),
)
