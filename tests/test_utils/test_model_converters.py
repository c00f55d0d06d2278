"""Save a random timm model, convert, load into mmpretrain: same outputs."""
import re

import timm
import torch
from mmengine.runner import load_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.models import SwinTransformer, VisionTransformer

from clear_mm.utils.model_converters import (swin_to_mmpretrain,
                                             timm_swin_to_mmpretrain,
                                             timm_vit_to_mmpretrain)


def test_timm_vit(tmp_path):
    torch.manual_seed(0)
    src = timm.create_model(
        'vit_tiny_patch16_224',
        pretrained=False,
        img_size=(256, 128),
        patch_size=16,
        embed_dim=64,
        depth=2,
        num_heads=2,
        num_classes=0).eval()
    path = str(tmp_path / 'vit.pth')
    torch.save(timm_vit_to_mmpretrain(src.state_dict()), path)

    dst = VisionTransformer(
        arch=dict(
            embed_dims=64, num_layers=2, num_heads=2,
            feedforward_channels=256),
        img_size=(256, 128),
        patch_size=16,
        out_type='raw')
    load_checkpoint(dst, path, strict=True)
    dst.eval()
    x = torch.randn(2, 3, 256, 128)
    with torch.no_grad():
        torch.testing.assert_close(
            dst(x)[0], src.forward_features(x), atol=1e-5, rtol=1e-5)


def official_swin_layout(state_dict):
    """timm's Swin keys -> the official repository's: timm moved each
    PatchMerging to the start of the next stage."""
    out = {}
    for k, v in state_dict.items():
        m = re.match(r'layers\.(\d+)\.downsample\.(.*)', k)
        if m:
            k = f'layers.{int(m.group(1)) - 1}.downsample.{m.group(2)}'
        out[k] = v
    return out


def small_swins():
    """A small random timm Swin and the mmpretrain Swin of the same shape."""
    torch.manual_seed(0)
    src = timm.create_model(
        'swin_tiny_patch4_window7_224',
        pretrained=False,
        embed_dim=32,
        depths=(2, 2, 2, 2),
        num_heads=(1, 2, 4, 8),
        num_classes=0).eval()
    dst = SwinTransformer(
        arch=dict(embed_dims=32, depths=[2, 2, 2, 2], num_heads=[1, 2, 4,
                                                                 8]),
        img_size=224,
        window_size=7)
    return src, dst


def load_and_compare(src, dst, state):
    missing, unexpected = dst.load_state_dict(state, strict=False)
    # timm does not save this buffer; the official checkpoints do, and
    # mmpretrain computes the same one at construction.
    assert unexpected == []
    assert all(k.endswith('relative_position_index') for k in missing)
    dst.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = src.forward_features(x).permute(0, 3, 1, 2)
        torch.testing.assert_close(dst(x)[-1], expected, atol=1e-5, rtol=1e-5)


def test_official_swin(tmp_path):
    src, dst = small_swins()
    path = str(tmp_path / 'swin.pth')
    torch.save(
        swin_to_mmpretrain(official_swin_layout(src.state_dict())), path)
    load_and_compare(src, dst, _load_checkpoint(path))


def test_timm_swin():
    """timm >= 0.9's layout (patch merging at the start of the next
    stage), as the timm hub files store it: same features."""
    src, dst = small_swins()
    assert 'layers.1.downsample.reduction.weight' in src.state_dict()
    converted = timm_swin_to_mmpretrain(src.state_dict())
    load_and_compare(src, dst, converted)
    # the official layout goes through the same function unchanged
    official = official_swin_layout(src.state_dict())
    for key, value in timm_swin_to_mmpretrain(official).items():
        torch.testing.assert_close(value, converted[key])


def test_timm_weights_load_through_timm_backbone(tmp_path):
    """The c2t route: timm reads a local file itself (no conversion) and
    resamples the position embedding to 256x128."""
    from safetensors.torch import save_file

    from clear_mm.registry import MODELS

    src = timm.create_model(
        'vit_tiny_patch16_224', pretrained=False, num_classes=0)
    path = str(tmp_path / 'vit.safetensors')
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, path)
    branch = MODELS.build(
        dict(
            type='TIMMBackbone',
            model_name='vit_tiny_patch16_224',
            pretrained=True,
            pretrained_cfg_overlay=dict(file=path),
            num_classes=0,
            global_pool='',
            img_size=(256, 128)))
    loaded = branch.timm_model.state_dict()
    torch.testing.assert_close(loaded['blocks.0.attn.qkv.weight'],
                               src.state_dict()['blocks.0.attn.qkv.weight'])
    assert loaded['pos_embed'].shape == (1, 1 + 16 * 8, 192)
    assert branch(torch.randn(1, 3, 256, 128))[0].shape == (1, 129, 192)
