# A small CLEAR that trains on a CPU, for 128x64 input (the `tiny` preset of
# CrossTransformer): MMPretrain's ResNet-18 stem and first two stages to a
# 128 x 16 x 8 map, then ViT-96 x 4 (patch 2) + CASA-Swin 32..256
# (1, 1, 2, 1), patch 1, window 4. Datasets used with it must resize to
# 128x64. Trained from scratch: no public weights exist at this size (the
# branches drop clear_paper.py's pretrained init).
_base_ = ['./clear_paper.py']
model = dict(
    backbone=dict(arch='tiny', global_branch=None, local_branch=None),
    neck=dict(
        global_channels=96,
        local_channels=256,
        local_size=(2, 1),
        embed_dims=128,
        num_heads=4),
    head=dict(in_channels=256),
)
