# Table 4.2 "MA+ASMR (PVTv2-b2)": asmr_peta.py (the ResNet-50 row) with
# timm's pvt_v2_b2 as the visual backbone, trained end to end.
_base_ = ['./asmr_peta.py', '../_base_/models/pvt_v2_b2.py']
model = dict(
    par_model=dict(
        backbone=dict(_base_.pvt_v2_b2, _delete_=True),
        head=dict(in_channels=512)))
