import pytest
import torch

from clear_mm.models import CASASwinTransformer, CrossTransformer
from clear_mm.registry import MODELS


def test_paper_preset_shapes():
    """docs/method_notes.md: ViT-1024 x 12, patch 14 -> 18x9 tokens + CLS;
    Swin 128..1024 (2, 2, 6, 2), window 12, CASA on 64x32, 32x16, 16x8 and
    8x4."""
    model = CrossTransformer(arch='paper')
    model.eval()
    vit, swin = model.global_branch, model.local_branch
    assert len(vit.layers) == 12 and vit.embed_dims == 1024
    assert vit.patch_resolution == (18, 9)
    assert isinstance(swin, CASASwinTransformer)
    assert [len(s.blocks) for s in swin.stages] == [2, 2, 6, 2]
    assert [c.input_resolution for c in swin.casa] == [(64, 32), (32, 16),
                                                       (16, 8), (8, 4)]
    assert [c.embed_dims for c in swin.casa] == [128, 256, 512, 1024]
    assert swin.stages[0].blocks[0].attn.w_msa.window_size == (12, 12)
    with torch.no_grad():
        tokens, local = model(torch.randn(1, 3, 256, 128))
    assert tokens.shape == (1, 1 + 18 * 9, 1024)
    assert local.shape == (1, 1024, 8, 4)


def test_tiny_preset_and_ablation_branches():
    x = torch.randn(2, 3, 128, 64)  # the tiny preset's input size
    model = CrossTransformer(arch='tiny')
    # the stem, ResNet-18's first two stages: 128 x 16 x 8, read by both
    # branches
    assert [len(getattr(model.stem, name))
            for name in model.stem.res_layers] == [2, 2]
    assert model.stem(x)[-1].shape == (2, 128, 16, 8)
    assert model.global_branch.patch_resolution == (8, 4)
    assert model.local_branch.patch_resolution == (16, 8)
    tokens, local = model(x)
    assert tokens.shape == (2, 1 + 8 * 4, 96)
    assert local.shape == (2, 256, 2, 1)
    # a branch replaced in a preset with a stem reads the stem's map
    resnet = CrossTransformer(
        arch='tiny',
        local_branch=dict(
            type='ResNet', depth=18, in_channels=128, out_indices=(3, )))
    assert resnet(x)[1].shape == (2, 512, 1, 1)
    tokens, local = CrossTransformer(arch='tiny', branches=('global', ))(x)
    assert local is None and tokens.shape[-1] == 96
    model = CrossTransformer(arch='tiny', branches=('local', ))
    assert model.global_branch is None
    assert model(x)[0] is None
    with pytest.raises(ValueError, match='input image size'):
        model(torch.randn(2, 3, 256, 128))


def test_branch_replaced_by_another_backbone():
    # without the stem the branch reads the image
    model = CrossTransformer(
        arch='tiny',
        stem=False,
        branches=('local', ),
        local_branch=dict(
            type='ConvNeXt',
            arch='atto',
            out_indices=(3, ),
            gap_before_final_norm=False))
    assert type(model.local_branch).__name__ == 'ConvNeXt'
    _, local = model(torch.randn(1, 3, 128, 64))
    assert local.shape == (1, 320, 4, 2)


def test_branch_update_keeps_preset():
    model = CrossTransformer(
        arch='tiny', local_branch=dict(casa_legacy_layout=True))
    assert isinstance(model.local_branch, CASASwinTransformer)
    assert model.local_branch.casa[0].legacy_layout


def test_invalid_arguments():
    with pytest.raises(ValueError, match='Unknown CrossTransformer arch'):
        CrossTransformer(arch='huge')
    with pytest.raises(ValueError, match='subset'):
        CrossTransformer(arch='tiny', branches=('vit', ))
    model = CrossTransformer(
        arch='tiny',
        stem=False,
        branches=('global', ),
        global_branch=dict(
            type='VisionTransformer',
            arch='deit-tiny',
            img_size=(128, 64),
            in_channels=3,
            patch_size=16,
            out_type='cls_token'))
    with pytest.raises(ValueError, match="out_type='raw'"):
        model(torch.randn(1, 3, 128, 64))


def test_tiny_preset_is_its_documented_parts():
    """The tiny preset as its docstring describes it, built here from
    MMPretrain's own classes with the documented arguments: a ResNet-18
    stem (stages 1-2, 128 x 16 x 8), ViT-96 x 4 with patch 2 on the map
    and CASA-Swin 32..256 (1, 1, 2, 1), patch 1, window 4. The preset's
    weights load strictly into them and give the same outputs."""
    from mmpretrain.models.backbones import ResNet, VisionTransformer
    preset = MODELS.build(dict(type='CrossTransformer', arch='tiny'))
    preset.eval()  # mmpretrain's backbones' train() returns None
    stem = ResNet(depth=18, num_stages=2, strides=(1, 2), dilations=(1, 1),
                  out_indices=(1, ))
    vit = VisionTransformer(
        arch=dict(embed_dims=96, num_layers=4, num_heads=4,
                  feedforward_channels=384),
        img_size=(16, 8), in_channels=128, patch_size=2,
        patch_cfg=dict(padding=0), out_type='raw')
    swin = CASASwinTransformer(
        arch=dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[1, 2, 4,
                                                                  8]),
        img_size=(16, 8), in_channels=128, patch_size=1, window_size=4,
        pad_small_map=True, drop_path_rate=0.0)
    for part, name in ((stem, 'stem'), (vit, 'global_branch'),
                       (swin, 'local_branch')):
        part.load_state_dict(getattr(preset, name).state_dict())  # strict
        part.eval()
    x = torch.randn(2, 3, 128, 64)
    with torch.no_grad():
        tokens, local = preset(x)
        feature = stem(x)[-1]
        torch.testing.assert_close(tokens, vit(feature)[-1])
        torch.testing.assert_close(local, swin(feature)[-1])
    assert feature.shape == (2, 128, 16, 8)
    assert vit.patch_resolution == (8, 4) and local.shape == (2, 256, 2, 1)


def test_casa_in_place_on_every_stage():
    """With CASA's value path zeroed (``att @ v = 0``, CASA the identity),
    the local branch equals MMPretrain's plain Swin with the same weights;
    CASA on any one stage alone changes the output."""
    from mmpretrain.models.backbones import SwinTransformer
    args = dict(arch=dict(embed_dims=32, depths=[1, 1, 2, 1],
                          num_heads=[1, 2, 4, 8]),
                img_size=(32, 16), patch_size=2, window_size=4,
                pad_small_map=True, drop_path_rate=0.0)
    torch.manual_seed(0)
    casa, plain = CASASwinTransformer(**args), SwinTransformer(**args)
    casa.eval(), plain.eval()
    state = {k: v for k, v in casa.state_dict().items()
             if not k.startswith('casa.')}
    plain.load_state_dict(state)  # strict: everything but CASA
    x = torch.randn(2, 3, 32, 16)

    def zero_casa(keep=None):
        for j, module in enumerate(casa.casa):
            if j != keep:
                module.v.weight.data.zero_()
                module.v.bias.data.zero_()

    torch.manual_seed(1)
    values = [(m.v.weight.clone(), m.v.bias.clone()) for m in casa.casa]
    with torch.no_grad():
        zero_casa()
        torch.testing.assert_close(casa(x)[-1], plain(x)[-1])
        for j, (weight, bias) in enumerate(values):
            casa.casa[j].v.weight.data.copy_(weight)
            casa.casa[j].v.bias.data.copy_(bias)
            assert not torch.allclose(casa(x)[-1], plain(x)[-1],
                                      atol=1e-4), f'stage {j}'
            zero_casa()
