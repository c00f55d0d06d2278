from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from clear_mm.registry import METRICS
from ..functional import evaluate_ranking


@METRICS.register_module()
class PartialQueryMetric(BaseMetric):
    """Retrieval with partial attribute queries (our protocol for person
    search, ``docs/method_notes.md``, "Partial queries").

    For each ``k`` in ``num_masked``, the queries are the test split's
    distinct attribute combinations with ``k`` attribute groups (the
    dataset's ``attribute_groups``; an attribute in no group is a group of
    its own) masked at random (seeded), duplicates removed; an image is
    relevant when it matches the query on every specified attribute. The
    model prepares each query's scoring plan before each evaluation
    (:class:`PrepareQueriesHook`: the embeddings of the query or of the
    training combinations it may stand for, and their weights); the metric
    receives these tensors and scores the images' ``pred_embedding`` and,
    when present, ``pred_score`` with them. Reported per k:
    ``k<k>/R<n>`` (a relevant image in the top n) and ``k<k>/mAP``; for
    ``k = 0`` also ``seen/*`` and ``unseen/*``: queries whose combination
    is or is not among the training combinations (CLEAR's Table 1
    categories).

    Args:
        num_masked (Sequence[int]): Values of k. Defaults to (0, 1, 2, 3).
        topk (Sequence[int]): Defaults to (1, 5, 10).
        max_queries (int, optional): Use this many combinations at most
            (seeded sample). Defaults to None (all).
        seed (int): Defaults to 0.
    """
    default_prefix = 'partial'

    def __init__(self,
                 num_masked: Sequence[int] = (0, 1, 2, 3),
                 topk: Sequence[int] = (1, 5, 10),
                 max_queries: Optional[int] = None,
                 seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_masked = tuple(int(k) for k in num_masked)
        self.topk = tuple(topk)
        self.max_queries = max_queries
        self.seed = seed
        self.queries: Optional[Dict[int, np.ndarray]] = None
        self.plans: Optional[Dict[int, List[dict]]] = None
        self.sigma = 12.0
        self.scores_are_probabilities = True
        self.train_combinations: Optional[np.ndarray] = None

    def make_queries(self, labels: np.ndarray) -> Dict[int, np.ndarray]:
        """The queries of each k for a split whose labels are ``labels``
        ``(N, A)``: its distinct combinations (at most ``max_queries``,
        seeded) with k groups masked."""
        labels = np.asarray(labels).astype(np.int64)
        combos = np.unique(labels, axis=0)
        rng = np.random.default_rng(self.seed)
        if self.max_queries is not None and len(combos) > self.max_queries:
            combos = combos[np.sort(
                rng.choice(len(combos), self.max_queries, replace=False))]
        groups = self.groups(labels.shape[1])
        return {
            k: self.masked_queries(combos, groups, k, rng)
            for k in self.num_masked if k <= len(groups)
        }

    def set_plans(self,
                  queries: Dict[int, np.ndarray],
                  plans: Dict[int, List[dict]],
                  sigma: float,
                  scores_are_probabilities: bool = True,
                  train_combinations=None) -> None:
        """What the model prepared: per k, the queries ``(Q, A)`` and their
        scoring plans (:meth:`QueryScorer.plan`: tensors), the scale
        ``sigma`` and whether its attribute scores are probabilities; and
        its training combinations ``(P, A)`` (for seen / unseen)."""
        self.queries, self.plans = queries, plans
        self.sigma = float(sigma)
        self.scores_are_probabilities = scores_are_probabilities
        self.train_combinations = None if train_combinations is None else \
            np.asarray(train_combinations)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            out = dict(
                gt=np.asarray(sample['gt_score'].cpu()),
                emb=sample['pred_embedding'].float().cpu())
            if 'pred_score' in sample:
                out['score'] = sample['pred_score'].float().cpu()
            self.results.append(out)

    def groups(self, num_attributes: int) -> List[np.ndarray]:
        meta = self.dataset_meta or {}
        index = {a: i for i, a in enumerate(meta.get('attributes') or [])}
        out, seen = [], set()
        for names in (meta.get('attribute_groups') or {}).values():
            cols = [index[a] for a in names if a in index and a not in seen]
            seen.update(names)
            if cols:
                out.append(np.array(cols))
        grouped = {c for g in out for c in g.tolist()}
        out += [np.array([c]) for c in range(num_attributes)
                if c not in grouped]
        return out

    @staticmethod
    def masked_queries(combinations: np.ndarray, groups: List[np.ndarray],
                       k: int, rng) -> np.ndarray:
        """Each combination with ``k`` random groups set to -1 (unknown),
        duplicates removed."""
        out = combinations.copy()
        if k:
            for row in out:
                for g in rng.choice(len(groups), k, replace=False):
                    row[groups[g]] = -1
        return np.unique(out, axis=0)

    @staticmethod
    def calculate(scores, relevant, topk: Sequence[int] = (1, 5, 10)) -> dict:
        """R@n and mAP (percent) of queries ``scores`` ``(Q, G)`` (higher is
        better; ties keep gallery order) with relevant images ``relevant``
        ``(Q, G)`` bool, by the ranking core
        (:func:`clear_mm.evaluation.functional.evaluate_ranking`)."""
        return evaluate_ranking(scores, topk=topk, relevant=relevant)

    def compute_metrics(self, results: list) -> dict:
        from clear_mm.search.scoring import score_with_plan, uses_scores
        if self.plans is None:
            raise RuntimeError(
                'PartialQueryMetric has no prepared queries: '
                'PrepareQueriesHook prepares them before each evaluation '
                '(custom_hooks), or call prepare_partial_queries(metric, '
                'model, labels).')
        labels = np.stack([r['gt'] for r in results]).astype(np.int64)
        emb = F.normalize(torch.stack([r['emb'] for r in results]), dim=1)
        probs = torch.stack([r['score'] for r in results]) if all(
            'score' in r for r in results) else None
        use_scores = uses_scores(self.scores_are_probabilities, probs)
        metrics = {}
        for k, queries in self.queries.items():
            relevant = np.stack([
                (labels[:, q >= 0] == q[q >= 0]).all(axis=1) for q in queries
            ])
            scores = torch.stack([
                score_with_plan(
                    dict(plan), q, emb, probs, self.sigma, use_scores)
                for q, plan in zip(queries, self.plans[k])
            ])
            metrics.update(self._summary(f'k{k}', scores, relevant))
            if k == 0 and self.train_combinations is not None:
                train = {r.tobytes() for r in self.train_combinations.astype(
                    np.int64)}
                seen = torch.tensor([q.tobytes() in train for q in queries])
                metrics.update(self._summary('seen', scores[seen],
                                             relevant[seen.numpy()]))
                metrics.update(self._summary('unseen', scores[~seen],
                                             relevant[~seen.numpy()]))
        return metrics

    def _summary(self, name: str, scores: torch.Tensor,
                 relevant: np.ndarray) -> dict:
        if not len(scores):
            return {f'{name}/queries': 0}
        out = self.calculate(scores, relevant, self.topk)
        skipped = out.pop('num_skipped')
        out = {f'{name}/{key}': value for key, value in out.items()}
        out[f'{name}/queries'] = len(scores) - skipped
        return out
