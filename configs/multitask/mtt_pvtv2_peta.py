# Table 4.2 "Multi-task Transformer (PVTv2-b2)": mtt_r50_peta.py with timm's
# pvt_v2_b2 (its last stage is 512 x 8 x 4 at 256 x 128) from ImageNet;
# the paper starts from the PVTv2 PAR baseline (baseline_par_pvtv2_peta.py):
#   --cfg-options model.backbone.init_cfg.source=mmpretrain \
#       model.backbone.init_cfg.prefix=backbone. \
#       model.backbone.init_cfg.checkpoint=<its checkpoint>
_base_ = ['./mtt_r50_peta.py', '../_base_/models/pvt_v2_b2.py']
model = dict(
    backbone=dict(_base_.pvt_v2_b2, _delete_=True),
    transformer=dict(in_channels=512))
