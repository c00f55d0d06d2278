# Table 4.2 "PAR Baseline (PVTv2-b2)": baseline_par_r50_peta.py with timm's
# pvt_v2_b2 (_base_/models/pvt_v2_b2.py).
_base_ = ['./baseline_par_r50_peta.py', '../_base_/models/pvt_v2_b2.py']
model = dict(
    backbone=dict(_base_.pvt_v2_b2, _delete_=True),
    head=dict(in_channels=512))
