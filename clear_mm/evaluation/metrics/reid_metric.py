from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS


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
        """CMC and mAP (percent) of queries against a gallery."""
        sim = F.normalize(torch.as_tensor(q_emb).float(), dim=1) @ \
            F.normalize(torch.as_tensor(g_emb).float(), dim=1).t()
        order = torch.argsort(-sim, dim=1, stable=True).numpy()
        hits = {k: 0 for k in topk}
        aps = []
        for i in range(len(order)):
            ranked = order[i]
            keep = ~((g_pid[ranked] == q_pid[i]) &
                     (g_cam[ranked] == q_cam[i])) & (g_pid[ranked] >= 0)
            good = (g_pid[ranked] == q_pid[i])[keep]
            if not good.any():
                continue
            first = int(np.argmax(good))
            for k in topk:
                hits[k] += first < k
            ranks = np.nonzero(good)[0] + 1
            aps.append(np.mean(np.arange(1, len(ranks) + 1) / ranks))
        n = max(len(aps), 1)
        out = {f'R{k}': 100.0 * hits[k] / n for k in topk}
        out['mAP'] = 100.0 * float(np.sum(aps)) / n
        out['num_skipped'] = len(order) - len(aps)
        return out
