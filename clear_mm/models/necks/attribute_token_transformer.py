from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from mmpretrain.models.utils import resize_pos_embed

from clear_mm.registry import MODELS


@MODELS.register_module()
class AttributeTokenTransformer(BaseModule):
    """The transformer image encoder of paper 004 (Sec. 3, Table 3.1).

    The backbone's last feature map ``(B, C, H, W)`` is split into
    ``P_h x P_w`` patches; each flattened patch is projected to a
    ``embed_dims``-d visual token (a convolution with kernel = stride = the
    patch size, the same linear map), position embeddings are added, and
    ``num_attributes`` learnable attribute tokens are appended. ``M`` pre-norm
    transformer blocks (multi-head self-attention, then an MLP, layer norm
    before each; mmpretrain's ViT layer) process the sequence, and a final
    layer norm closes it.

    Paper: M = 3, 12 heads, patch 2 x 2, d = 382. 382 is not divisible by
    12 heads, so the default is d = 384 (the nearest multiple of 12).

    Args:
        in_channels (int): Channels of the backbone map.
        num_attributes (int): N, one token per binary attribute.
        feat_size (Sequence[int]): ``(H, W)`` of the backbone map the
            position embeddings are made for (ResNet-50 / PVTv2-b2 at 256 x
            128: (8, 4)); other sizes are resized to (bicubic).
        patch_size (int | Sequence[int]): ``(P_h, P_w)``. Defaults to 2.
        embed_dims (int): d. Defaults to 384.
        num_layers (int): M. Defaults to 3.
        num_heads (int): Defaults to 12.
        mlp_ratio (float): MLP width / d. Defaults to 4.
        drop_rate, attn_drop_rate, drop_path_rate (float): Defaults to 0.
        init_cfg (dict, optional): Initialization config.

    Returns (forward):
        tuple: visual token states ``(B, L, d)`` and attribute token states
        ``(B, N, d)``.
    """

    def __init__(self,
                 in_channels: int,
                 num_attributes: int,
                 feat_size: Sequence[int] = (8, 4),
                 patch_size: Union[int, Sequence[int]] = 2,
                 embed_dims: int = 384,
                 num_layers: int = 3,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.0,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(
                f'embed_dims ({embed_dims}) must be divisible by num_heads '
                f'({num_heads}); the paper\'s d = 382 is not, hence 384.')
        if isinstance(patch_size, int):
            patch_size = (patch_size, patch_size)
        self.patch_size = tuple(patch_size)
        self.feat_size = tuple(feat_size)
        self.grid = self._grid(self.feat_size)
        self.in_channels = in_channels
        self.num_attributes = num_attributes
        self.embed_dims = embed_dims
        self.patch_embed = nn.Conv2d(
            in_channels,
            embed_dims,
            kernel_size=self.patch_size,
            stride=self.patch_size)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.grid[0] * self.grid[1], embed_dims))
        self.attr_tokens = nn.Parameter(
            torch.zeros(1, num_attributes, embed_dims))
        self.drop = nn.Dropout(drop_rate)
        dpr = torch.linspace(0, drop_path_rate, num_layers).tolist()
        self.layers = ModuleList([
            TransformerEncoderLayer(
                embed_dims=embed_dims,
                num_heads=num_heads,
                feedforward_channels=int(mlp_ratio * embed_dims),
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=dpr[i]) for i in range(num_layers)
        ])
        self.norm = nn.LayerNorm(embed_dims)

    def _grid(self, size) -> Tuple[int, int]:
        (h, w), (ph, pw) = size, self.patch_size
        if h % ph or w % pw:
            raise ValueError(
                f'The backbone map {h}x{w} cannot be split into '
                f'{ph}x{pw} patches: choose feat_size/patch_size (or the '
                'input size) so that they divide.')
        return h // ph, w // pw

    def init_weights(self):
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type')
                in ('Pretrained', 'StrictPretrained')):
            trunc_normal_(self.pos_embed, std=0.02)
            trunc_normal_(self.attr_tokens, std=0.02)

    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        if isinstance(x, (tuple, list)):
            x = x[-1]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                'AttributeTokenTransformer expects a feature map (B, '
                f'{self.in_channels}, H, W), got {tuple(x.shape)}.')
        grid = self._grid(x.shape[2:])
        visual = self.patch_embed(x).flatten(2).transpose(1, 2)
        pos = self.pos_embed
        if grid != self.grid:
            pos = resize_pos_embed(
                pos, self.grid, grid, mode='bicubic', num_extra_tokens=0)
        tokens = torch.cat([
            visual + pos,
            self.attr_tokens.expand(visual.shape[0], -1, -1)
        ], dim=1)
        tokens = self.drop(tokens)
        for layer in self.layers:
            tokens = layer(tokens)
        tokens = self.norm(tokens)
        num_visual = visual.shape[1]
        return tokens[:, :num_visual], tokens[:, num_visual:]
