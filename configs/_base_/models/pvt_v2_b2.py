# timm's PVTv2-b2 as a backbone (mmpretrain has none): its last stage,
# 512 x 8 x 4 at 256 x 128. A config swaps it in with
#   backbone=dict(_base_.pvt_v2_b2, _delete_=True)
# (ImageNet weights: pretrained_cfg_overlay=dict(file=...) on a local file,
# see the README).
pvt_v2_b2 = dict(
    type='TIMMBackbone',
    model_name='pvt_v2_b2',
    features_only=True,
    out_indices=(3, ),
    pretrained=False)
