# Table 5 ablation: Swin with CASA on every stage (F^(s),CASA).
_base_ = ['./par_upar2024.py']
model = dict(backbone=dict(branches=('local', )), head=dict(in_channels=768))
