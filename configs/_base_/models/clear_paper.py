# CLEAR cross-transformers as the paper text describes them
# (docs/method_notes.md, "Cross-transformers"):
# ViT-1024 x 12 (patch 14) + Swin 128..1024 (2, 2, 6, 2), window 12, CASA.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CrossTransformer', arch='paper'),
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
