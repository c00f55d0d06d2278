from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from clear_mm.registry import METRICS


@METRICS.register_module()
class AttributeAccuracyMetric(BaseMetric):
    """Per-attribute accuracy with some attribute groups read as one
    multi-class attribute, as Cerberus' Table 3 reports PAR on Market-1501
    (12 attributes: age, upper and lower colour multi-class; the others
    binary).

    A multi-class group is predicted as the attribute with the highest
    score in it and is correct when that is the true one (images whose
    labels set not exactly one attribute of the group are left out of that
    group, counted in the log); any other attribute is predicted positive
    iff its score is ``> thr``. The groups and attribute names come from
    the evaluated dataset's ``metainfo`` (``attribute_groups``). Reported in
    percent: one value per attribute or group and their ``mean``.

    Args:
        multiclass (Sequence[str]): Names of the attribute groups read as
            one multi-class attribute. Defaults to () (all binary).
        thr (float): Decision threshold of the binary attributes.
            Defaults to 0.5.
        prefix (str, optional): Defaults to 'par_acc'.
    """
    default_prefix = 'par_acc'

    def __init__(self,
                 multiclass: Sequence[str] = (),
                 thr: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.multiclass = tuple(multiclass)
        self.thr = thr

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_score' not in sample:
                raise KeyError('AttributeAccuracyMetric needs `pred_score` '
                               'in every data sample.')
            self.results.append(
                dict(score=torch.as_tensor(sample['pred_score']).float().cpu(),
                     gt=torch.as_tensor(sample['gt_score']).long().cpu()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        meta = self.dataset_meta or {}
        scores = torch.stack([r['score'] for r in results]).numpy()
        labels = torch.stack([r['gt'] for r in results]).numpy()
        values, skipped = self.calculate(
            scores, labels, list(meta.get('attributes') or []),
            meta.get('attribute_groups') or {}, self.multiclass, self.thr)
        if any(skipped.values()):
            MMLogger.get_current_instance().info(
                'AttributeAccuracyMetric: images without exactly one true '
                f'attribute left out of a group: {skipped}.')
        return values

    @staticmethod
    def calculate(scores: np.ndarray,
                  labels: np.ndarray,
                  attributes: List[str],
                  groups: Dict[str, List[str]],
                  multiclass: Sequence[str] = (),
                  thr: float = 0.5):
        """``({name: accuracy %, ..., 'mean': ...}, {group: left out})``
        for ``(N, A)`` scores and 0/1 labels."""
        if scores.shape != labels.shape or scores.shape[1] != len(
                attributes):
            raise ValueError(
                f'Scores {scores.shape} and labels {labels.shape} for '
                f'{len(attributes)} attributes.')
        unknown = [g for g in multiclass if g not in groups]
        if unknown:
            raise KeyError(f'Multi-class groups {unknown} are not among the '
                           f"dataset's attribute groups {list(groups)}.")
        index = {a: i for i, a in enumerate(attributes)}
        values, skipped, grouped = {}, {}, set()
        for group in multiclass:
            cols = [index[a] for a in groups[group]]
            grouped.update(cols)
            one = labels[:, cols].sum(1) == 1
            skipped[group] = int((~one).sum())
            pred = scores[one][:, cols].argmax(1)
            true = labels[one][:, cols].argmax(1)
            values[group] = float((pred == true).mean() * 100) if len(
                true) else float('nan')
        for name, col in index.items():
            if col not in grouped:
                values[name] = float(
                    ((scores[:, col] > thr) == (labels[:, col] == 1)).mean() *
                    100)
        values['mean'] = float(np.nanmean(list(values.values())))
        return values, skipped
