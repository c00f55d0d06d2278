import math
from typing import List, Tuple

import torch
from mmengine.model import ModuleList
from mmpretrain.models.backbones import SwinTransformer
from mmpretrain.models.utils import resize_pos_embed

from clear_mm.registry import MODELS
from ..utils import ChannelAwareSelfAttention


@MODELS.register_module()
class CASASwinTransformer(SwinTransformer):
    """mmpretrain's Swin Transformer with CASA on the input of every stage.

    The local branch ``F_s`` of CLEAR's cross-transformers, Eq. (1):
    ``z_s^(j) = F_s^(j)(CASA(z_s^(j-1)))``. Everything but the CASA modules is
    mmpretrain's :class:`SwinTransformer`, so its presets, ``out_indices``,
    pretrained checkpoints and ``init_cfg`` work unchanged; the CASA weights
    are new (they have no ImageNet counterpart).

    Args:
        img_size (int | tuple[int, int]): Input size ``(H, W)``. CASA is
            built for the feature size this gives. Defaults to (256, 128).
        casa_legacy_layout (bool): See
            :class:`ChannelAwareSelfAttention`. Defaults to False.
        **kwargs: Other arguments of mmpretrain's :class:`SwinTransformer`.
    """

    def __init__(self,
                 img_size=(256, 128),
                 casa_legacy_layout: bool = False,
                 **kwargs):
        super().__init__(img_size=img_size, **kwargs)
        self.casa = ModuleList([
            ChannelAwareSelfAttention(
                embed_dims=stage.embed_dims,
                input_resolution=hw,
                legacy_layout=casa_legacy_layout)
            for stage, hw in zip(self.stages, self.stage_resolutions)
        ])

    @property
    def stage_resolutions(self) -> List[Tuple[int, int]]:
        """The ``(h, w)`` of each stage's input for the configured size."""
        h, w = self.patch_resolution
        sizes = []
        for _ in self.stages:
            sizes.append((h, w))
            # PatchMerging pads odd sizes ("corner" padding), hence ceil.
            h, w = math.ceil(h / 2), math.ceil(w / 2)
        return sizes

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x, hw_shape = self.patch_embed(x)
        if self.use_abs_pos_embed:
            x = x + resize_pos_embed(
                self.absolute_pos_embed, self.patch_resolution, hw_shape,
                self.interpolate_mode, self.num_extra_tokens)
        x = self.drop_after_pos(x)

        outs = []
        for i, (casa, stage) in enumerate(zip(self.casa, self.stages)):
            x = casa(x, hw_shape)
            x, hw_shape = stage(
                x, hw_shape, do_downsample=self.out_after_downsample)
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x)
                out = out.view(-1, *hw_shape, self.num_features[i])
                outs.append(out.permute(0, 3, 1, 2).contiguous())
            if stage.downsample is not None and not self.out_after_downsample:
                x, hw_shape = stage.downsample(x, hw_shape)
        return tuple(outs)
