# Table 5 ablation: ViT (+) Swin+CASA, concatenated without cross-fusion.
_base_ = ['./par_upar2024.py']
model = dict(neck=dict(cross_fusion=False))
