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


def test_config_build_is_the_preset():
    """Built from a config (the registry), the tiny preset is the same
    network as the class: same parameters, same outputs."""
    torch.manual_seed(0)
    direct = CrossTransformer(arch='tiny')
    torch.manual_seed(0)
    built = MODELS.build(dict(type='CrossTransformer', arch='tiny'))
    direct.eval(), built.eval()  # mmpretrain's backbones return None
    x = torch.randn(1, 3, 128, 64)
    with torch.no_grad():
        for a, b in zip(direct(x), built(x)):
            torch.testing.assert_close(a, b)
