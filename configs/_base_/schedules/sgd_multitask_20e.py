# Paper 004 Sec. 4: sgd_20e.py with lr 1e-2 (10x) for the attribute encoder.
_base_ = ['./sgd_20e.py']
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'attr_encoder': dict(lr_mult=10.0)}))
