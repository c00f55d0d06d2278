# Table 5 ablation: ViT only (F^(v)).
_base_ = ['./par_upar2024.py']
model = dict(
    backbone=dict(branches=('global', )), head=dict(in_channels=768))
