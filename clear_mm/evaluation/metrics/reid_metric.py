from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from clear_mm.registry import METRICS
from ..functional import evaluate_ranking


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Person re-identification, the Market-1501 protocol.

    The evaluated samples are a query set (``is_query`` True) and a gallery
    (the others), each with ``person_id``, ``camera_id`` and
    ``pred_embedding``. Gallery images are ranked by cosine similarity; for
    each query, gallery images of the same person *and* camera are left out
    (as are junk ids, ``person_id`` < 0), and a query without any
    remaining same-person image is not counted. Reported in percent under
    ``reid``: CMC ``R1``, ``R5``, ``R10`` and ``mAP`` (non-interpolated AP).

    Args:
        topk (Sequence[int]): CMC ranks. Defaults to (1, 5, 10).
    """
    default_prefix = 'reid'

    def __init__(self,
                 topk: Sequence[int] = (1, 5, 10),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            missing = [k for k in ('pred_embedding', 'person_id',
                                   'camera_id', 'is_query') if k not in s]
            if missing:
                raise KeyError(f'ReIDMetric needs {missing} in every data '
                               'sample (pack them with PackInputs('
                               "algorithm_keys=['person_id', 'camera_id', "
                               "'is_query'])).")
            self.results.append(dict(
                emb=s['pred_embedding'].detach().float().cpu(),
                pid=int(s['person_id']), cam=int(s['camera_id']),
                query=bool(s['is_query'])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        query = np.array([r['query'] for r in results])
        if not query.any() or query.all():
            raise ValueError(f'ReIDMetric: {query.sum()} query and '
                             f'{(~query).sum()} gallery samples; both are '
                             'needed (evaluate the reid split).')
        emb = torch.stack([r['emb'] for r in results])
        pid = np.array([r['pid'] for r in results])
        cam = np.array([r['cam'] for r in results])
        values = self.calculate(emb[query], pid[query], cam[query],
                                emb[~query], pid[~query], cam[~query],
                                self.topk)
        MMLogger.get_current_instance().info(
            f'ReID: {query.sum()} queries ({values.pop("num_skipped")} '
            f'without a valid match), {(~query).sum()} gallery images.')
        return values

    @staticmethod
    def calculate(q_emb, q_pid, q_cam, g_emb, g_pid, g_cam,
                  topk: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
        """CMC and mAP (percent) of queries against a gallery, by the
        ranking core (:func:`clear_mm.evaluation.functional.
        evaluate_ranking`): relevant = same person; the same person seen by
        the same camera, and junk ids (< 0), are removed from a query's
        ranking."""
        q_emb = F.normalize(torch.as_tensor(q_emb).float(), dim=1)
        g_emb = F.normalize(torch.as_tensor(g_emb).float(), dim=1)
        q_pid, q_cam = torch.as_tensor(q_pid), torch.as_tensor(q_cam)
        g_pid, g_cam = torch.as_tensor(g_pid), torch.as_tensor(g_cam)

        def ignore(start, stop):
            same = (q_pid[start:stop, None] == g_pid[None]) & (
                q_cam[start:stop, None] == g_cam[None])
            return same | (g_pid[None] < 0)

        # junk ids are never relevant: give them an id no query has
        gallery_ids = torch.where(g_pid < 0, q_pid.min() - 1, g_pid)
        return evaluate_ranking(
            lambda start, stop: q_emb[start:stop] @ g_emb.t(), q_pid,
            gallery_ids, topk, ignore=ignore)
