# The authors' earlier C2T-Net setting: timm EVA02-L/14 (24 blocks) and
# Swin-B (2, 2, 18, 2), window 7; average-pooled Swin feature.
_base_ = ['./clear_paper.py']
model = dict(
    backbone=dict(arch='c2t'), neck=dict(local_pool='avg', local_size=(8, 4)))
