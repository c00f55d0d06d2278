# Table 5 ablation: ViT only (F^(v)).
_base_ = ['./par_pa100k.py']
model = dict(
    backbone=dict(branches=('global', )), head=dict(in_channels=768))
