from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from clear_mm.registry import MODELS


@MODELS.register_module()
class WeightedBCELoss(nn.Module):
    """Binary cross-entropy weighted by the attributes' positive ratios.

    The weighting of Li et al. (2015) as used by Rethinking-of-PAR: for
    attribute ``j`` with positive ratio ``r_j`` in the training split,

    .. math::
        w_{ij} = \\exp(y_{ij} (1 - r_j) + (1 - y_{ij}) r_j),

    so rare positives weigh up to ``e`` times more. The loss is summed over
    attributes and averaged over the batch. With ``pos_ratio`` unset it
    must be given with :meth:`set_pos_ratio` before the first forward
    (``DatasetMetaHook`` does it from ``dataset.metainfo['pos_ratio']``).

    Args:
        pos_ratio (Sequence[float], optional): Positive ratio of each
            attribute in the training split. Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    ELEMENTWISE_WEIGHT = True  # PARHead passes (B, N) label weights

    def __init__(self,
                 pos_ratio: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight
        # Not persistent: it is a property of the training data, set again
        # from the dataset at every run, and not a learned parameter.
        self.register_buffer('pos_ratio', None, persistent=False)
        if pos_ratio is not None:
            self.set_pos_ratio(pos_ratio)

    def set_pos_ratio(self, pos_ratio: Sequence[float]) -> None:
        """Set the training positive ratio of each attribute."""
        ratio = torch.as_tensor(pos_ratio, dtype=torch.float32).flatten()
        if not torch.all((ratio >= 0) & (ratio <= 1)):
            raise ValueError('pos_ratio values must lie in [0, 1], got '
                             f'{ratio.tolist()}.')
        self.pos_ratio = ratio

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                **kwargs) -> torch.Tensor:
        """
        Args:
            cls_score (torch.Tensor): Logits ``(B, N_attr)``.
            label (torch.Tensor): Targets in {0, 1}, ``(B, N_attr)``.
            weight (torch.Tensor, optional): Element-wise weight
                ``(B, N_attr)``, e.g. 0 for uncertain labels.
            avg_factor (float, optional): Batch size to average over.
                Defaults to ``B``.
        """
        if self.pos_ratio is None:
            raise RuntimeError(
                'WeightedBCELoss has no positive ratios: pass `pos_ratio` or '
                'add DatasetMetaHook to custom_hooks so it is read from the '
                "training dataset's metainfo['pos_ratio'].")
        if self.pos_ratio.numel() != cls_score.shape[-1]:
            raise ValueError(
                f'WeightedBCELoss has {self.pos_ratio.numel()} positive '
                f'ratios but the head predicts {cls_score.shape[-1]} '
                'attributes.')
        label = label.float()
        ratio = self.pos_ratio.to(cls_score.device)
        w = torch.exp(label * (1 - ratio) + (1 - label) * ratio)
        if weight is not None:
            w = w * weight
        loss = F.binary_cross_entropy_with_logits(
            cls_score, label, weight=w, reduction='none')
        avg_factor = cls_score.shape[0] if avg_factor is None else avg_factor
        return self.loss_weight * loss.sum() / avg_factor
