from typing import List, Optional

import torch
from mmpretrain.models.heads import MultiLabelLinearClsHead
from mmpretrain.structures import DataSample

from clear_mm.registry import MODELS


@MODELS.register_module()
class PARHead(MultiLabelLinearClsHead):
    """Multi-label pedestrian attribute head, Eq. (5)-(6) of CLEAR.

    A linear layer to ``N_attr`` logits on top of the fused feature. The loss
    is built from config: plain BCE (paper Eq. 6,
    ``dict(type='CrossEntropyLoss', use_sigmoid=True)``) or
    :class:`WeightedBCELoss`. Labels a dataset marks as uncertain
    (``gt_ignore`` in the data sample, e.g. RAP's value 2) get zero weight.

    ``predict`` fills ``pred_score`` (sigmoid) and ``pred_label`` (indices of
    the attributes with ``score > thr``, the PAR convention of a strict
    inequality) of each :class:`DataSample`.

    Args:
        num_classes (int): Number of attributes ``N_attr``.
        in_channels (int): Width of the input feature.
        loss (dict): Loss config. Defaults to ``WeightedBCELoss``.
        thr (float): Decision threshold. Defaults to 0.5.
        init_cfg (dict, optional): Initialization config.
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
            init_cfg=init_cfg)

    def label_weights(self, data_samples: List[DataSample],
                      device=None) -> Optional[torch.Tensor]:
        """``(B, N_attr)`` 0/1 weights, 0 for uncertain labels
        (``gt_ignore``); None when no sample marks any."""
        if 'gt_ignore' not in data_samples[0]:
            return None
        ignore = torch.stack([
            torch.as_tensor(ds.gt_ignore, device=device)
            for ds in data_samples
        ])
        return (~ignore.bool()).float()

    def _get_loss(self,
                  cls_score: torch.Tensor,
                  data_samples: List[DataSample],
                  sample_weight: Optional[torch.Tensor] = None,
                  **kwargs) -> dict:
        """``sample_weight`` ``(B,)`` scales each sample's loss (the
        cross-task feedback of paper 004)."""
        target = torch.stack([ds.gt_score.float() for ds in data_samples])
        if target.shape != cls_score.shape:
            raise ValueError(
                f'{type(self).__name__} predicts {cls_score.shape[-1]} '
                f'attributes but the data samples carry {target.shape[-1]}.')
        weight = self.label_weights(data_samples, cls_score.device)
        if sample_weight is not None:
            sample_weight = sample_weight.view(-1, 1).expand_as(cls_score)
            weight = sample_weight if weight is None else \
                weight * sample_weight
        if weight is not None and not getattr(self.loss_module,
                                              'ELEMENTWISE_WEIGHT', False):
            # mmpretrain's losses take one weight per sample: weight each
            # label's loss here and reduce as they do (sum / batch size)
            loss = self.loss_module(
                cls_score, target, reduction_override='none', **kwargs)
            return dict(loss=(loss * weight).sum() / cls_score.size(0))
        if weight is not None:
            kwargs['weight'] = weight
        loss = self.loss_module(
            cls_score, target, avg_factor=cls_score.size(0), **kwargs)
        return dict(loss=loss)

    def _get_predictions(self, cls_score: torch.Tensor,
                         data_samples: Optional[List[DataSample]]):
        pred_scores = torch.sigmoid(cls_score)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(cls_score.size(0))]
        for data_sample, score in zip(data_samples, pred_scores):
            label = torch.where(score > self.thr)[0]
            data_sample.set_pred_score(score).set_pred_label(label)
        return data_samples
