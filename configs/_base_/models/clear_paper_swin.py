# Table 5 ablation F^(s): mmpretrain's plain SwinTransformer (no CASA) at the
# paper's size, alone (no ViT branch, no cross-fusion).
_base_ = ['./clear_paper.py']
model = dict(
    backbone=dict(
        branches=('local', ),
        local_branch=dict(
            type='SwinTransformer',
            arch=dict(
                embed_dims=128, depths=[2, 2, 6, 2], num_heads=[4, 8, 16,
                                                                32]),
            img_size=(256, 128),
            window_size=12,
            pad_small_map=True,
            init_cfg=dict(fresh=[]))),
    head=dict(in_channels=768))
