from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from clear_mm.registry import MODELS


class CrossAttentionFusion(BaseModule):
    """One query token attends over itself and another branch's tokens.

    The SVCF/VSCF operation of Eq. (3) of CLEAR (CrossViT-style)::

        kv = [query; tokens]                      # (B, 1 + L, D)
        out = query + W^{a,2} MHA(query, kv, kv)  # (B, D)

    ``W^{a,2}`` is the attention's output projection.

    Args:
        embed_dims (int): Fusion width ``D``.
        num_heads (int): Number of attention heads.
    """

    def __init__(self, embed_dims: int, num_heads: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(
            embed_dims, num_heads, batch_first=True)

    def forward(self, query: torch.Tensor,
                tokens: torch.Tensor) -> torch.Tensor:
        """
        Args:
            query (torch.Tensor): ``(B, D)``.
            tokens (torch.Tensor): ``(B, L, D)``.
        """
        query = query.unsqueeze(1)
        kv = torch.cat([query, tokens], dim=1)
        out, _ = self.attn(query, kv, kv, need_weights=False)
        return (query + out).squeeze(1)


@MODELS.register_module()
class CrossFusionNeck(BaseModule):
    """Cross-fusion of the two branches of :class:`CrossTransformer`.

    Eq. (1), (3)-(5) of CLEAR up to the classifier:

    - SVCF: the Swin feature ``z^s = FC(Flatten(z_s^(N_s)))`` (projected to
      the fusion width; ``FC`` and ``W^{a,1}`` are one linear map) attends
      over ``[z^{s,a}; ViT tokens]``, then ``M^s = LN_s(.)``;
    - VSCF: the ViT class token (projected) attends over ``[CLS; Swin
      tokens]``, then ``M^v = LN_v(.)``;
    - ``LN_s`` and ``LN_v`` are independent LayerNorms (Eq. 4);
    - fusion: ``concat(M^s, M^v)`` (Eq. 5, default) or ``mean`` (Eq. 1).

    With ``cross_fusion=False`` the two aligned features are normalised and
    fused without cross attention (the "ViT (+) Swin+CASA" row of Table 5).
    When the backbone built only one branch, the neck returns that branch's
    normalised feature (the single-branch rows of Table 5).

    Args:
        global_channels (int): Width ``C_v`` of the ViT tokens.
        local_channels (int): Channels ``C_s`` of the last local map.
        local_size (Sequence[int]): ``(h, w)`` of the last local map; needed
            by ``local_pool='flatten'``. Defaults to (8, 4).
        embed_dims (int): Fusion width. Defaults to 768 (paper).
        num_heads (int): Heads of SVCF and VSCF. Defaults to 8.
        local_pool (str): ``'flatten'`` (paper: Flatten + FC) or ``'avg'``
            (global average pooling + FC, as C2T-Net). Defaults to 'flatten'.
        cross_fusion (bool): Use SVCF/VSCF. Defaults to True.
        fuse (str): ``'concat'`` (Eq. 5) or ``'mean'`` (Eq. 1).
            Defaults to 'concat'.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 global_channels: int,
                 local_channels: int,
                 local_size: Sequence[int] = (8, 4),
                 embed_dims: int = 768,
                 num_heads: int = 8,
                 local_pool: str = 'flatten',
                 cross_fusion: bool = True,
                 fuse: str = 'concat',
                 init_cfg: Optional[dict] = dict(
                     type='TruncNormal', layer='Linear', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        if local_pool not in ('flatten', 'avg'):
            raise ValueError("`local_pool` must be 'flatten' or 'avg', got "
                             f'{local_pool!r}.')
        if fuse not in ('concat', 'mean'):
            raise ValueError(
                f"`fuse` must be 'concat' or 'mean', got {fuse!r}.")
        self.global_channels = global_channels
        self.local_channels = local_channels
        self.local_size = tuple(local_size)
        self.embed_dims = embed_dims
        self.local_pool = local_pool
        self.cross_fusion = cross_fusion
        self.fuse = fuse

        local_in = local_channels
        if local_pool == 'flatten':
            local_in *= self.local_size[0] * self.local_size[1]
        # FC(Flatten(.)) followed by W^{a,1}: one linear map to the fusion
        # width (two linear maps in a row compose to one).
        self.local_align = nn.Linear(local_in, embed_dims)
        self.global_align = nn.Linear(global_channels, embed_dims)
        if cross_fusion:
            # Project each branch's tokens to the fusion width for the other.
            self.global_tokens_proj = nn.Linear(global_channels, embed_dims)
            self.local_tokens_proj = nn.Linear(local_channels, embed_dims)
            self.svcf = CrossAttentionFusion(embed_dims, num_heads)
            self.vscf = CrossAttentionFusion(embed_dims, num_heads)
        self.ln_s = nn.LayerNorm(embed_dims)
        self.ln_v = nn.LayerNorm(embed_dims)

    def _local_feature(self, local_map: torch.Tensor) -> torch.Tensor:
        B, C, h, w = local_map.shape
        if C != self.local_channels:
            raise ValueError(f'CrossFusionNeck expects {self.local_channels} '
                             f'local channels, got {C}.')
        if self.local_pool == 'avg':
            return self.local_align(local_map.mean(dim=(2, 3)))
        if (h, w) != self.local_size:
            raise ValueError(
                f'CrossFusionNeck(local_pool="flatten") was built for a '
                f'{self.local_size} local map but got {(h, w)}; set '
                '`local_size` to match the backbone and input size.')
        return self.local_align(local_map.flatten(1))

    def forward(
        self, inputs: Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]
    ) -> Tuple[torch.Tensor]:
        """
        Args:
            inputs (tuple): ``(global_tokens, local_map)`` from
                :class:`CrossTransformer`, ``(B, 1 + N, C_v)`` and
                ``(B, C_s, h, w)``; either may be None.

        Returns:
            tuple[torch.Tensor]: The fused feature, ``(B, 2 * embed_dims)``
            for ``fuse='concat'`` and ``(B, embed_dims)`` for ``'mean'`` or
            a single branch.
        """
        global_tokens, local_map = inputs
        if global_tokens is None and local_map is None:
            raise ValueError('CrossFusionNeck got no branch output.')
        if global_tokens is not None and (global_tokens.shape[-1] !=
                                          self.global_channels):
            raise ValueError(
                f'CrossFusionNeck expects {self.global_channels} global '
                f'channels, got {global_tokens.shape[-1]}.')
        if local_map is None:
            return (self.ln_v(self.global_align(global_tokens[:, 0])), )
        z_s = self._local_feature(local_map)
        if global_tokens is None:
            return (self.ln_s(z_s), )

        z_v = self.global_align(global_tokens[:, 0])
        if self.cross_fusion:
            local_tokens = local_map.flatten(2).transpose(1, 2)
            z_s, z_v = (
                self.svcf(z_s, self.global_tokens_proj(global_tokens)),
                self.vscf(z_v, self.local_tokens_proj(local_tokens)),
            )
        m_s, m_v = self.ln_s(z_s), self.ln_v(z_v)
        if self.fuse == 'concat':
            return (torch.cat([m_s, m_v], dim=1), )
        return ((m_s + m_v) / 2, )
