from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from clear_mm.registry import METRICS

EPS = 1e-20


@METRICS.register_module()
class PARMetric(BaseMetric):
    """Pedestrian attribute recognition metrics (Rethinking-of-PAR protocol).

    - label-based mA: mean over attributes of ``(TP/P + TN/N) / 2``;
    - instance-based accuracy ``|g & p| / |g | p|``, precision ``|g & p| /
      |p|`` and recall ``|g & p| / |g|``, each averaged over images;
    - F1 ``2 P R / (P + R)`` from the averaged precision and recall.

    An attribute is predicted positive iff its score is ``> thr``. Every
    denominator gets ``eps = 1e-20``, so an empty set gives a 0 term (an
    attribute without positives contributes ``TN/N / 2`` to mA; an image
    with no positive label or prediction has 0 accuracy/precision/recall),
    as in the reference code. Values are reported in percent under the
    prefix ``par``: ``par/mA``, ``par/accuracy``, ``par/precision``,
    ``par/recall``, ``par/f1`` (and ``par/mA_<attribute>`` with
    ``classwise=True``).

    Args:
        thr (float): Decision threshold. Defaults to 0.5.
        classwise (bool): Also report each attribute's mA. Defaults to False.
        named (dict, optional): Report name -> an attribute name or a list
            of them (their union), e.g. ``dict(Female='Female',
            Bags=['HandBag', 'ShoulderBag', 'Backpack'])``; the names are
            checked against the evaluated dataset's attributes. Defaults to
            None.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'par'.
    """
    default_prefix = 'par'

    def __init__(self,
                 thr: float = 0.5,
                 classwise: bool = False,
                 named: Optional[Dict[str, Union[str, Sequence[str]]]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thr = thr
        self.classwise = classwise
        self.named = {}
        for name, members in (named or {}).items():
            members = [members] if isinstance(members, str) else list(members)
            if not members:
                raise ValueError(f'PARMetric named[{name!r}]: no attributes.')
            self.named[name] = members

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_score' not in sample or 'gt_score' not in sample:
                raise KeyError('PARMetric needs `pred_score` and `gt_score` '
                               'in every data sample.')
            self.results.append(
                dict(
                    pred_score=sample['pred_score'].detach().cpu(),
                    gt_score=torch.as_tensor(sample['gt_score']).cpu()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        pred = torch.stack([r['pred_score'] for r in results]).numpy()
        gt = torch.stack([r['gt_score'] for r in results]).numpy()
        values = self.calculate(pred, gt, thr=self.thr)
        metrics = {
            k: float(values[k]) * 100
            for k in ('mA', 'accuracy', 'precision', 'recall', 'f1')
        }
        if self.classwise:
            names = (self.dataset_meta or {}).get(
                'attributes', [str(i) for i in range(gt.shape[1])])
            for name, value in zip(names, values['label_mA']):
                metrics[f'mA_{name}'] = float(value) * 100
        if self.named:
            names = (self.dataset_meta or {}).get('attributes')
            if not names:
                raise ValueError(
                    'PARMetric(named=...) needs the attribute names in the '
                    "evaluated dataset's metainfo['attributes'].")
            for name, row in self.named_table(pred, gt, list(names),
                                              self.named, self.thr).items():
                metrics[f'{name}/samples'] = row.pop('samples')
                metrics.update(
                    {f'{name}/{k}': v * 100
                     for k, v in row.items()})
        return metrics

    @staticmethod
    def named_table(pred_score, gt_score, attributes: List[str],
                    named: Dict[str, Sequence[str]],
                    thr: float = 0.5) -> Dict[str, Dict[str, float]]:
        """Paper 002's Table 4 rows: for each entry of ``named`` (report
        name -> attribute names, their union), ``samples`` (positive
        images), label-based ``precision``, ``recall``, ``f1`` and ``mA``
        (fractions)."""
        pred_score = np.asarray(pred_score, dtype=np.float64)
        gt = np.asarray(gt_score).astype(bool)
        index = {a: i for i, a in enumerate(attributes)}
        table = {}
        for name, members in named.items():
            members = [members] if isinstance(members, str) else members
            unknown = [m for m in members if m not in index]
            if unknown:
                raise ValueError(
                    f'PARMetric named[{name!r}]: {unknown} not among the '
                    f'dataset\'s attributes {attributes}.')
            cols = [index[m] for m in members]
            g = gt[:, cols].any(axis=1)
            p = (pred_score[:, cols] > thr).any(axis=1)
            tp, fp = float((g & p).sum()), float((~g & p).sum())
            fn, tn = float((g & ~p).sum()), float((~g & ~p).sum())
            precision = tp / (tp + fp + EPS)
            recall = tp / (tp + fn + EPS)
            table[name] = dict(
                samples=int(g.sum()),
                precision=precision,
                recall=recall,
                f1=2 * precision * recall / (precision + recall + EPS),
                mA=(tp / (tp + fn + EPS) + tn / (tn + fp + EPS)) / 2)
        return table

    @staticmethod
    def calculate(pred_score: Union[np.ndarray, torch.Tensor],
                  gt_score: Union[np.ndarray, torch.Tensor],
                  thr: float = 0.5) -> Dict[str, Union[float, np.ndarray]]:
        """Compute the PAR metrics.

        Args:
            pred_score (np.ndarray | torch.Tensor): Scores ``(N, A)``.
            gt_score (np.ndarray | torch.Tensor): 0/1 labels ``(N, A)``.
            thr (float): Positive iff ``score > thr``. Defaults to 0.5.

        Returns:
            dict: ``mA``, ``accuracy``, ``precision``, ``recall``, ``f1`` as
            fractions, and ``label_mA`` (per attribute, ``(A,)``).
        """
        pred_score = np.asarray(pred_score, dtype=np.float64)
        gt = np.asarray(gt_score)
        if pred_score.shape != gt.shape or pred_score.ndim != 2:
            raise ValueError(f'pred_score {pred_score.shape} and gt_score '
                             f'{gt.shape} must both be (N, A).')
        if np.isnan(pred_score).any():
            raise ValueError('pred_score contains NaN.')
        if not np.isin(gt, (0, 1)).all():
            raise ValueError('gt_score must be 0/1.')
        gt = gt.astype(bool)
        pred = pred_score > thr

        tp = (gt & pred).sum(0)
        tn = (~gt & ~pred).sum(0)
        label_mA = (tp / (gt.sum(0) + EPS) + tn / ((~gt).sum(0) + EPS)) / 2

        inter = (gt & pred).sum(1)
        accuracy = (inter / ((gt | pred).sum(1) + EPS)).mean()
        precision = (inter / (pred.sum(1) + EPS)).mean()
        recall = (inter / (gt.sum(1) + EPS)).mean()
        f1 = 2 * precision * recall / (precision + recall + EPS)
        return dict(
            mA=float(label_mA.mean()),
            accuracy=float(accuracy),
            precision=float(precision),
            recall=float(recall),
            f1=float(f1),
            label_mA=label_mA)
