from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from clear_mm.registry import MODELS


@MODELS.register_module()
class ChannelAwareSelfAttention(BaseModule):
    """Channel-aware self-attention (CASA), Eq. (2) of CLEAR.

    The tokens of this attention are the ``C`` channels of a feature map and
    the feature of each token is its flattened ``h*w`` spatial map, so the
    projections are ``Linear(h*w, h*w)`` (``W in R^{hw x hw}`` as the paper
    states) and the attention matrix is ``(C, C)``::

        x: (B, C, N), N = h*w
        q, k, v = W_q x, W_k x, W_v x
        att = softmax(q k^T / sqrt(N))           # (B, C, C)
        out = x + att @ v

    The paper also writes ``att in R^{hw x hw}``, which contradicts its own
    ``W`` shapes; the channel reading is the consistent one (see
    ``docs/method_notes.md``). Because the projections act on the spatial
    axis, the module is tied to the feature size it was built for and raises
    an error for any other size.

    Args:
        embed_dims (int): Number of channels ``C`` of the input tokens.
        input_resolution (Sequence[int]): Spatial size ``(h, w)`` of the map.
        legacy_layout (bool): Reproduce the reshape of the authors' earlier
            C2T-Net code, ``(att @ v).transpose(1, 2).reshape(B, C, N)``,
            which mixes the channel and spatial axes. Only for comparison
            with that code. Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 input_resolution: Sequence[int],
                 legacy_layout: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(input_resolution) != 2:
            raise ValueError('`input_resolution` must be (h, w), got '
                             f'{input_resolution}.')
        self.embed_dims = embed_dims
        self.input_resolution = tuple(int(s) for s in input_resolution)
        self.num_spatial = self.input_resolution[0] * self.input_resolution[1]
        self.legacy_layout = legacy_layout
        self.q = nn.Linear(self.num_spatial, self.num_spatial)
        self.k = nn.Linear(self.num_spatial, self.num_spatial)
        self.v = nn.Linear(self.num_spatial, self.num_spatial)
        self.scale = self.num_spatial**-0.5

    def forward(self, x: torch.Tensor,
                hw_shape: Tuple[int, int]) -> torch.Tensor:
        """Apply CASA to a token sequence.

        Args:
            x (torch.Tensor): Tokens of shape ``(B, h*w, C)``, row-major over
                ``(h, w)`` as mmpretrain's Swin stages hold them.
            hw_shape (tuple[int, int]): The spatial size ``(h, w)``.

        Returns:
            torch.Tensor: Tokens of the same shape ``(B, h*w, C)``.
        """
        if tuple(hw_shape) != self.input_resolution:
            raise ValueError(
                f'ChannelAwareSelfAttention was built for a {self.input_resolution} '
                f'feature map but got {tuple(hw_shape)}. CASA projections act '
                'on the spatial axis, so the input image size must be the one '
                'the model was configured with (`img_size`).')
        B, N, C = x.shape
        if C != self.embed_dims:
            raise ValueError(f'Expected {self.embed_dims} channels, got {C}.')
        x_t = x.transpose(1, 2)  # (B, C, N): channels are the tokens
        q, k, v = self.q(x_t), self.k(x_t), self.v(x_t)
        att = (q @ k.transpose(1, 2)) * self.scale  # (B, C, C)
        att = att.softmax(dim=-1)
        out = att @ v  # (B, C, N)
        if self.legacy_layout:
            out = out.transpose(1, 2).reshape(B, C, N)
        out = x_t + out
        return out.transpose(1, 2).contiguous()

    def extra_repr(self) -> str:
        return (f'embed_dims={self.embed_dims}, '
                f'input_resolution={self.input_resolution}, '
                f'legacy_layout={self.legacy_layout}')
