import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from clear_mm.registry import MODELS


@MODELS.register_module()
class AngularMarginLoss(nn.Module):
    """CLEAR's margin loss L_MA (Eq. 8): ArcFace's additive angular margin
    between embeddings and a set of proxies (attribute-query embeddings).

    For an embedding f with its positive proxy g+ and every other proxy g-::

        L = -log( e^{s cos(a+ + m)} / (e^{s cos(a+ + m)} + sum e^{s cos a-}) )

    with a the angle between f and a proxy, s = ``scale`` (sigma) and
    m = ``margin`` (gamma). Our reading (docs/method_notes.md, "Retrieval",
    L_MA): the margin is on the
    positive pair only (as in ArcFace and ASMR), and the paper's phi, which
    writes the scale inside phi *and* again in the exponent, applies it once.
    As in ArcFace, when a+ + m would pass pi (where cos stops decreasing) the
    positive logit continues as ``cos a+ - m sin m``; ``easy_margin=True``
    instead applies the margin only where cos a+ > 0.

    Args:
        scale (float): sigma. Defaults to 12 (ASMR's code).
        margin (float): gamma, in radians. Defaults to 0.2.
        easy_margin (bool): See above. Defaults to False.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 scale: float = 12.0,
                 margin: float = 0.2,
                 easy_margin: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        if not 0 <= margin < math.pi / 2:
            raise ValueError(f'margin must be in [0, pi/2), got {margin}.')
        self.scale = scale
        self.margin = margin
        self.easy_margin = easy_margin
        self.loss_weight = loss_weight

    def logits(self, feats: torch.Tensor, proxies: torch.Tensor,
               targets: torch.Tensor) -> torch.Tensor:
        """Scaled cosine logits ``(B, P)`` with the margin on each row's
        target column."""
        cos = F.normalize(feats, dim=1) @ F.normalize(proxies, dim=1).t()
        cos = cos.clamp(-1.0, 1.0)
        target_cos = cos.gather(1, targets.view(-1, 1))
        # cos(a + m) = cos a cos m - sin a sin m
        sin = (1.0 - target_cos.pow(2)).clamp_min(1e-12).sqrt()
        with_margin = (target_cos * math.cos(self.margin) -
                       sin * math.sin(self.margin))
        if self.easy_margin:
            with_margin = torch.where(target_cos > 0, with_margin, target_cos)
        else:
            with_margin = torch.where(
                target_cos > math.cos(math.pi - self.margin), with_margin,
                target_cos - self.margin * math.sin(self.margin))
        cos = cos.scatter(1, targets.view(-1, 1), with_margin)
        return self.scale * cos

    def forward(self,
                feats: torch.Tensor,
                proxies: torch.Tensor,
                targets: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """
        Args:
            feats (Tensor): ``(B, D)`` embeddings (image side).
            proxies (Tensor): ``(P, D)`` embeddings of every attribute
                combination (query side).
            targets (Tensor): ``(B,)`` index of each embedding's positive
                proxy.
            weight (Tensor, optional): ``(B,)`` per-sample weights (the
                loss is then ``sum(w_i l_i) / B``).
            reduction_override (str, optional): 'none' returns the ``(B,)``
                per-sample losses. Defaults to the mean.
        """
        if feats.shape[1] != proxies.shape[1]:
            raise ValueError(f'Embedding sizes differ: feats {feats.shape[1]}'
                             f', proxies {proxies.shape[1]}.')
        if targets.numel() and (targets.min() < 0
                                or targets.max() >= proxies.shape[0]):
            raise ValueError(f'targets must index the {proxies.shape[0]} '
                             'proxies.')
        if reduction_override not in (None, 'none', 'mean'):
            raise ValueError("reduction_override: None, 'none' or 'mean', "
                             f'got {reduction_override!r}.')
        logits = self.logits(feats, proxies, targets)
        loss = F.cross_entropy(logits, targets, reduction='none')
        if weight is not None:
            if weight.shape != loss.shape:
                raise ValueError(f'weight must be ({len(loss)},), got '
                                 f'{tuple(weight.shape)}.')
            loss = loss * weight
        if reduction_override != 'none':
            loss = loss.mean()
        return self.loss_weight * loss
