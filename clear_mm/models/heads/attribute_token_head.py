from typing import Optional, Tuple, Union

import torch
import torch.nn as nn

from clear_mm.registry import MODELS
from .par_head import PARHead


@MODELS.register_module()
class AttributeTokenHead(PARHead):
    """One binary classifier per attribute token (paper 004, Sec. 3):
    attribute ``j``'s logit is ``w_j . t_j + b_j`` for its token state
    ``t_j``. Loss, thresholds and predictions as :class:`PARHead`
    (weighted BCE, Eq. 3.1, by default).

    Args:
        num_classes (int): N, the number of attribute tokens.
        in_channels (int): d, the token width.
        loss (dict): Defaults to ``WeightedBCELoss``.
        thr (float): Decision threshold. Defaults to 0.5.
        init_cfg (dict, optional): Defaults to normal(std=0.01) weights.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: dict = dict(type='WeightedBCELoss'),
                 thr: float = 0.5,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01)):
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            loss=loss,
            thr=thr,
            init_cfg=None)
        # the parent's shared Linear is replaced by N independent ones
        del self.fc
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        self.bias = nn.Parameter(torch.zeros(num_classes))
        self._init_std = (init_cfg or {}).get('std', 0.01)

    def init_weights(self):
        nn.init.normal_(self.weight, std=self._init_std)
        nn.init.zeros_(self.bias)
        self._is_init = True

    def pre_logits(self, feats: Union[torch.Tensor, Tuple[torch.Tensor]]
                   ) -> torch.Tensor:
        """The attribute token states ``(B, N, d)``: the last element of
        the neck's output (visual tokens, attribute tokens)."""
        tokens = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if tokens.dim() != 3 or tokens.shape[1:] != self.weight.shape:
            raise ValueError(
                f'{type(self).__name__} expects attribute tokens (B, '
                f'{self.num_classes}, {self.in_channels}), got '
                f'{tuple(tokens.shape)}.')
        return tokens

    def forward(self, feats) -> torch.Tensor:
        return (self.pre_logits(feats) * self.weight).sum(-1) + self.bias
