# Table 4.2 "PAR Baseline (PVTv2-b2)": as baseline_par_r50_peta.py with
# timm's pvt_v2_b2 (ImageNet weights: pretrained_cfg_overlay=dict(file=...)
# on a local file, see the README).
_base_ = ['./baseline_par_r50_peta.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='TIMMBackbone',
        model_name='pvt_v2_b2',
        features_only=True,
        out_indices=(3, ),
        pretrained=False),
    head=dict(in_channels=512))
