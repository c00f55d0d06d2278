# Table 5 ablation: ViT (+) Swin+CASA, concatenated without cross-fusion.
_base_ = ['./par_pa100k.py']
model = dict(neck=dict(cross_fusion=False))
