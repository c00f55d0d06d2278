from typing import Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule

from clear_mm.registry import MODELS


@MODELS.register_module()
class RetrievalAdapter(BaseModule):
    """CLEAR's adapter (f_vis, f_attr, f_text; Sec. 3.3): three Linear
    layers, a ReLU after the first two, none after the last.

    Args:
        in_channels (int): Input size.
        out_channels (int): Embedding size.
        hidden_channels (int | Sequence[int]): Width of the two hidden
            layers (one int for both). Defaults to 512.
        input_norm (bool): Standardise each input feature first, with a
            ``BatchNorm1d`` without affine parameters (batch statistics in
            training, running statistics in evaluation). Not in the paper:
            the flattened language-model states have a few dimensions two
            orders of magnitude larger than the rest, and without it f_text
            barely learns (SP queries on the synthetic set stayed near
            chance after 10 epochs). Defaults to False.
        init_cfg (dict, optional): Defaults to None (PyTorch's Linear init).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hidden_channels: Union[int, Sequence[int]] = 512,
                 input_norm: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(hidden_channels, int):
            hidden_channels = (hidden_channels, hidden_channels)
        if len(hidden_channels) != 2:
            raise ValueError('hidden_channels: one int or two widths, got '
                             f'{hidden_channels}.')
        h1, h2 = hidden_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.input_norm = nn.BatchNorm1d(
            in_channels, affine=False) if input_norm else nn.Identity()
        self.layers = nn.Sequential(
            nn.Linear(in_channels, h1), nn.ReLU(inplace=True),
            nn.Linear(h1, h2), nn.ReLU(inplace=True),
            nn.Linear(h2, out_channels))

    def forward(self, x):
        if x.shape[-1] != self.in_channels:
            raise ValueError(f'RetrievalAdapter expects {self.in_channels} '
                             f'input features, got {x.shape[-1]}.')
        return self.layers(self.input_norm(x))
