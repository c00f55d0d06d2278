# Table 4.2 "MA+ASMR (PVTv2-b2)": asmr_peta.py (the ResNet-50 row) with
# timm's pvt_v2_b2 as the visual backbone, trained end to end.
_base_ = ['./asmr_peta.py']
model = dict(
    par_model=dict(
        backbone=dict(
            _delete_=True,
            type='TIMMBackbone',
            model_name='pvt_v2_b2',
            features_only=True,
            out_indices=(3, ),
            pretrained=False),
        head=dict(in_channels=512)))
