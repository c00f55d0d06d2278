# Table 4.2 "Multi-task Transformer (PVTv2-b2)": timm's pvt_v2_b2 (mmpretrain
# has no PVTv2); its last stage is 512 x 8 x 4 at 256 x 128. Weights: the
# PVTv2 PAR baseline (baseline_par_pvtv2_peta.py) through
#   model.backbone.init_cfg=dict(type='Pretrained', prefix='backbone.',
#                                checkpoint=<its checkpoint>)
_base_ = ['./mtt_r50_peta.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='TIMMBackbone',
        model_name='pvt_v2_b2',
        features_only=True,
        out_indices=(3, ),
        pretrained=False),
    transformer=dict(in_channels=512))
