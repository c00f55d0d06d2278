import copy
from typing import Optional, Sequence, Tuple

import torch
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from clear_mm.registry import MODELS

IMG_SIZE = (256, 128)


def _vit(embed_dims,
         num_layers,
         num_heads,
         patch_size,
         img_size=IMG_SIZE,
         in_channels=3):
    return dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=embed_dims,
            num_layers=num_layers,
            num_heads=num_heads,
            feedforward_channels=4 * embed_dims),
        img_size=img_size,
        in_channels=in_channels,
        patch_size=patch_size,
        # No adaptive padding: 256x128 with patch 14 gives 18x9 tokens.
        patch_cfg=dict(padding=0),
        out_type='raw')


def _casa_swin(embed_dims,
               depths,
               num_heads,
               window_size,
               patch_size=4,
               img_size=IMG_SIZE,
               in_channels=3,
               **kwargs):
    return dict(
        type='CASASwinTransformer',
        arch=dict(embed_dims=embed_dims, depths=depths, num_heads=num_heads),
        img_size=img_size,
        in_channels=in_channels,
        patch_size=patch_size,
        window_size=window_size,
        pad_small_map=True,
        **kwargs)


def _tiny(stem, map_size, channels, vit_patch, swin_patch):
    """A small preset: ``stem`` turns the 128x64 image into a ``channels``
    x ``map_size`` map; ViT-96 x 4 and CASA-Swin 32..256 (1, 1, 2, 1),
    window 4, no stochastic depth, embed patches of it."""
    return dict(
        stem=stem,
        global_branch=_vit(
            96, 4, 4,
            patch_size=vit_patch,
            img_size=map_size,
            in_channels=channels),
        local_branch=_casa_swin(
            32, [1, 1, 2, 1], [1, 2, 4, 8],
            window_size=4,
            patch_size=swin_patch,
            img_size=map_size,
            in_channels=channels,
            drop_path_rate=0.0))


@MODELS.register_module()
class CrossTransformer(BaseBackbone):
    """The two-branch cross-transformers ``f_par`` of CLEAR, Eq. (1).

    A global branch ``F_v`` (a plain ViT, whose tokens keep global long-range
    dependencies) and a local branch ``F_s`` (a Swin Transformer with CASA on
    each stage input) run side by side on the same image. Their outputs are
    fused by :class:`CrossFusionNeck`.

    Each branch is any registered backbone config, so either can be swapped:
    the global branch must return tokens ``(B, 1 + N, C)`` with the class
    token first (mmpretrain ``VisionTransformer`` with ``out_type='raw'``,
    or ``TIMMBackbone`` with ``num_classes=0, global_pool=''``); the local
    branch must return feature maps ``(B, C, h, w)`` (Swin, ConvNeXt, ResNet,
    ...); its last output is used.

    Presets (``arch``):

    - ``paper``: the paper text. ViT width 1024, 12 blocks, patch 14 (18x9
      tokens + CLS); Swin widths 128..1024, depths (2, 2, 6, 2), window 12.
    - ``c2t``: the authors' earlier C2T-Net code. timm EVA02-L/14 (24 blocks)
      and Swin-B depths (2, 2, 18, 2), window 7.
    - ``tiny``: a small hybrid that trains from scratch on a laptop CPU,
      for 128x64 input: MMPretrain's ResNet-18 stem and first two stages
      as a convolutional stem (a 128 x 16 x 8 map, as the ResNet stages
      of the hybrid ViT of Dosovitskiy et al. 2021), then ViT-96 x 4
      (patch 2 on the map: 8x4 tokens) and CASA-Swin 32..256, depths
      (1, 1, 2, 1), patch 1 (16x8 tokens), window 4, no stochastic depth
      (mmpretrain's Swin default of 0.1 only slowed a 5-block branch
      trained for a few epochs).

    The earlier small presets (``tiny-convstem``, ``tiny-nostem``) were
    retired; docs/history.md keeps what they measured.

    Args:
        arch (str): Preset that gives the branches not set explicitly.
            Defaults to 'paper'.
        global_branch (dict, optional): Config of ``F_v``. Without ``type``
            (or with the preset's type) it updates the preset's branch, e.g.
            ``dict(init_cfg=dict(type='StrictPretrained',
            checkpoint=...))``; with another ``type`` it replaces the
            branch. Defaults to None.
        local_branch (dict, optional): Config of ``F_s``, as
            ``global_branch``. Defaults to None.
        branches (Sequence[str]): Which branches to build, a subset of
            ``('global', 'local')``; a single branch gives the ViT-only and
            Swin-only ablations of Table 5. Defaults to both.
        stem (dict, optional): A module both branches read instead of the
            image (an mm backbone such as a truncated ``ResNet``, whose
            last output is used); its output size is the branches'
            ``img_size`` and its channels their ``in_channels``. Defaults
            to the preset's (``tiny`` has one); without ``type`` (or with
            the preset's) it updates the preset's, e.g.
            ``dict(norm_eval=True)``; ``False`` builds none (then every
            branch reads the image: replace the preset's branches too).
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Returns (from ``forward``):
        tuple: ``(global_tokens, local_map)``: ``(B, 1 + N, C_v)`` and
        ``(B, C_s, h, w)``; the entry of a branch that is not built is None.
    """
    arch_zoo = {
        'tiny':
        _tiny(
            dict(
                type='ResNet',
                depth=18,
                num_stages=2,
                strides=(1, 2),
                dilations=(1, 1),
                out_indices=(1, )),
            map_size=(16, 8),
            channels=128,
            vit_patch=2,
            swin_patch=1),
        'paper':
        dict(
            global_branch=_vit(1024, 12, 16, patch_size=14),
            local_branch=_casa_swin(
                128, [2, 2, 6, 2], [4, 8, 16, 32], window_size=12)),
        'c2t':
        dict(
            global_branch=dict(
                type='TIMMBackbone',
                model_name='eva02_large_patch14_448',
                pretrained=False,
                img_size=IMG_SIZE,
                num_classes=0,
                global_pool=''),
            local_branch=_casa_swin(
                128, [2, 2, 18, 2], [4, 8, 16, 32], window_size=7)),
    }
    BRANCHES = ('global', 'local')

    def __init__(self,
                 arch: str = 'paper',
                 global_branch: Optional[dict] = None,
                 local_branch: Optional[dict] = None,
                 branches: Sequence[str] = ('global', 'local'),
                 stem: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_zoo:
            raise ValueError(f'Unknown CrossTransformer arch "{arch}", choose '
                             f'from {sorted(self.arch_zoo)}.')
        branches = tuple(branches)
        if not branches or any(b not in self.BRANCHES for b in branches):
            raise ValueError(
                f'`branches` must be a non-empty subset of {self.BRANCHES}, '
                f'got {branches}.')
        preset = self.arch_zoo[arch]
        self.arch = arch
        self.branches = branches
        self.global_branch = None
        self.local_branch = None
        if stem is None:
            stem = preset.get('stem')
        elif stem and preset.get('stem'):
            stem = self._branch_cfg(preset['stem'], stem)
        self.stem = MODELS.build(stem) if stem else None
        if 'global' in branches:
            self.global_branch = MODELS.build(
                self._branch_cfg(preset['global_branch'], global_branch))
        if 'local' in branches:
            self.local_branch = MODELS.build(
                self._branch_cfg(preset['local_branch'], local_branch))

    @staticmethod
    def _branch_cfg(preset: dict, cfg: Optional[dict]) -> dict:
        cfg = copy.deepcopy(dict(cfg or {}))
        if cfg.get('type', preset['type']) != preset['type']:
            return cfg
        return {**copy.deepcopy(preset), **cfg}

    def forward(
        self, x: torch.Tensor
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        global_tokens = local_map = None
        if self.stem is not None:
            x = self.stem(x)
            if isinstance(x, (tuple, list)):  # an mm backbone's outputs
                x = x[-1]
        if self.global_branch is not None:
            global_tokens = self.global_branch(x)[-1]
            if global_tokens.dim() != 3:
                raise ValueError(
                    'The global branch must output tokens (B, 1 + N, C) with '
                    f'the class token first, got shape '
                    f'{tuple(global_tokens.shape)}. For mmpretrain '
                    "VisionTransformer set out_type='raw'.")
        if self.local_branch is not None:
            local_map = self.local_branch(x)[-1]
            if local_map.dim() != 4:
                raise ValueError(
                    'The local branch must output feature maps (B, C, h, w), '
                    f'got shape {tuple(local_map.shape)}.')
        return global_tokens, local_map
