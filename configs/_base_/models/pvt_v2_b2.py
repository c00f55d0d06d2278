# timm's PVTv2-b2 as a backbone (mmpretrain has none): its last stage,
# 512 x 8 x 4 at 256 x 128, from timm's ImageNet-1k weights. A config swaps
# it in with
#   backbone=dict(_base_.pvt_v2_b2, _delete_=True)
pvt_v2_b2 = dict(
    type='TIMMBackbone',
    model_name='pvt_v2_b2',
    features_only=True,
    out_indices=(3, ),
    pretrained=False,
    init_cfg=dict(type='StrictPretrained', weights='timm/pvt_v2_b2.in1k'))
