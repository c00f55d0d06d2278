# The authors' earlier C2T-Net setting: timm EVA02-L/14 (24 blocks) and
# Swin-B (2, 2, 18, 2), window 7; average-pooled Swin feature.
_base_ = ['./clear_paper.py']
model = dict(
    _scope_='clear_mm',
    backbone=dict(
        arch='c2t',
        global_branch=dict(
            init_cfg=dict(
                type='StrictPretrained',
                weights='timm/eva02_large_patch14_448.mim_m38m_ft_in22k_in1k',
                _delete_=True)),
        local_branch=dict(
            init_cfg=dict(
                weights='timm/swin_base_patch4_window7_224.ms_in22k'))),
    neck=dict(local_pool='avg', local_size=(8, 4)))
