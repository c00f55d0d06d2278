# Table 5 ablation: plain Swin (F^(s)), mmpretrain's SwinTransformer.
_base_ = ['./par_pa100k_swin_casa.py']
model = dict(
    backbone=dict(
        local_branch=dict(
            type='SwinTransformer',
            arch=dict(
                embed_dims=128, depths=[2, 2, 6, 2], num_heads=[4, 8, 16,
                                                                32]),
            img_size=(256, 128),
            window_size=12,
            pad_small_map=True)))
