"""Key-name conversion of public checkpoints to mmpretrain backbones.

- timm ViT (``vit_*``) -> mmpretrain ``VisionTransformer`` (global branch).
- official Swin (microsoft/Swin-Transformer) and timm Swin -> mmpretrain
  ``SwinTransformer`` / ``CASASwinTransformer`` (local branch).

EVA/EVA02 weights need no conversion: the ``c2t`` preset runs them through
mmpretrain's ``TIMMBackbone``, which loads timm checkpoints as they are
(``pretrained=True, pretrained_cfg_overlay=dict(file=...)``).
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

StateDict = Dict[str, torch.Tensor]


def _rename(state_dict: StateDict, rules, drop) -> StateDict:
    out = OrderedDict()
    for key, value in state_dict.items():
        if any(re.match(p, key) for p in drop):
            continue
        new = key
        for pattern, repl in rules:
            new = re.sub(pattern, repl, new)
        out[new] = value
    return out


def timm_vit_to_mmpretrain(state_dict: StateDict) -> StateDict:
    """Convert a timm ``VisionTransformer`` state dict (no head)."""
    rules = [
        (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
        (r'^blocks\.(\d+)\.norm1\.', r'layers.\1.ln1.'),
        (r'^blocks\.(\d+)\.norm2\.', r'layers.\1.ln2.'),
        (r'^blocks\.(\d+)\.attn\.', r'layers.\1.attn.'),
        (r'^blocks\.(\d+)\.mlp\.fc1\.', r'layers.\1.ffn.layers.0.0.'),
        (r'^blocks\.(\d+)\.mlp\.fc2\.', r'layers.\1.ffn.layers.1.'),
        (r'^norm\.', 'ln1.'),
    ]
    return _rename(state_dict, rules, drop=[r'^head\.', r'^fc_norm\.'])


def _merging_order(x: torch.Tensor) -> torch.Tensor:
    """Reorder the 4C input channels of a Swin PatchMerging.

    The official code concatenates the 2x2 neighbours as
    ``[(0,0), (1,0), (0,1), (1,1)]`` blocks of C channels; mmpretrain's
    ``nn.Unfold`` orders them channel-major, ``c * 4 + kh * 2 + kw``.
    """
    c4 = x.shape[-1]
    c = c4 // 4
    x = x.reshape(*x.shape[:-1], 4, c)  # (..., block, C) official
    x = x[..., [0, 2, 1, 3], :]  # blocks in (kh, kw) row-major order
    return x.transpose(-1, -2).reshape(*x.shape[:-2], c4)


def swin_to_mmpretrain(state_dict: StateDict) -> StateDict:
    """Convert an official Swin Transformer state dict (no head)."""
    rules = [
        (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
        (r'^layers\.(\d+)\.', r'stages.\1.'),
        (r'\.attn\.', '.attn.w_msa.'),
        (r'\.mlp\.fc1\.', '.ffn.layers.0.0.'),
        (r'\.mlp\.fc2\.', '.ffn.layers.1.'),
    ]
    out = _rename(
        state_dict,
        rules,
        drop=[r'^head\.', r'.*attn_mask$'])
    num_stages = 1 + max(
        int(m.group(1)) for m in (re.match(r'^stages\.(\d+)\.', k)
                                  for k in out) if m)
    if 'norm.weight' in out:
        out[f'norm{num_stages - 1}.weight'] = out.pop('norm.weight')
        out[f'norm{num_stages - 1}.bias'] = out.pop('norm.bias')
    for key in list(out):
        if '.downsample.' in key:
            out[key] = _merging_order(out[key])
    return out


def timm_swin_to_mmpretrain(state_dict: StateDict) -> StateDict:
    """Convert a timm Swin Transformer state dict (no head).

    timm >= 0.9 moved each PatchMerging to the start of the next stage
    (``layers.{i+1}.downsample``); the official layout (and older timm)
    keeps it at the end of stage i. Both merge the 2x2 neighbours in the
    same channel order.
    """
    if not any(re.match(r'^layers\.0\.downsample\.', k) for k in state_dict):
        shifted = OrderedDict()
        for key, value in state_dict.items():
            m = re.match(r'^layers\.(\d+)\.downsample\.(.*)', key)
            if m:
                key = f'layers.{int(m.group(1)) - 1}.downsample.{m.group(2)}'
            shifted[key] = value
        state_dict = shifted
    return swin_to_mmpretrain(state_dict)
