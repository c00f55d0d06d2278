"""PartialQueryMetric: complete queries (k = 0) and masked queries agree
with per-query loops over scores computed here, and seen/unseen split the
queries."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from clear_mm.engine import prepare_partial_queries
from clear_mm.evaluation import PartialQueryMetric
from tests.utils import ToyRetriever, ranking_loop


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    combos = (rng.random((8, 5)) < 0.5).astype(np.int64)
    combos = np.unique(combos, axis=0)
    labels = combos[rng.integers(len(combos), size=40)]
    labels[:len(combos)] = combos  # every combination in the gallery
    emb = torch.randn(len(labels), 6)
    proxy_emb = torch.randn(len(combos), 6)
    meta = dict(attributes=list('abcde'),
                attribute_groups=dict(g1=['a', 'b'], g2=['c', 'd']))
    samples = [dict(gt_score=torch.from_numpy(y), pred_embedding=e)
               for y, e in zip(labels, emb)]
    return combos, labels, emb, proxy_emb, meta, samples


def test_complete_queries_by_hand(data):
    combos, labels, emb, proxy_emb, meta, samples = data
    toy = ToyRetriever(combos, np.ones(len(combos)), proxy_emb)
    partial = PartialQueryMetric(num_masked=(0, ))
    partial.dataset_meta = meta
    prepare_partial_queries(partial, toy, labels, combos[:3])
    partial.process(None, samples)
    ours = partial.compute_metrics(partial.results)

    # a complete query scores by its own embedding's cosine; relevant:
    # the gallery images with that attribute vector
    cos = (emb / emb.norm(dim=1, keepdim=True)) @ (
        proxy_emb / proxy_emb.norm(dim=1, keepdim=True)).t()
    relevant = (combos[:, None] == labels[None]).all(2)
    theirs = ranking_loop(cos.t(), relevant)
    assert theirs['num_skipped'] == 0
    for name in ('R1', 'R5', 'R10', 'mAP'):
        assert ours[f'k0/{name}'] == pytest.approx(theirs[name], abs=1e-4)
    assert ours['seen/queries'] == 3
    assert ours['unseen/queries'] == len(combos) - 3


def test_masked_queries_by_hand(data):
    combos, labels, emb, proxy_emb, meta, samples = data
    counts = np.arange(1, len(combos) + 1)
    toy = ToyRetriever(combos, counts, proxy_emb)
    metric = PartialQueryMetric(num_masked=(1, 2), seed=3)
    metric.dataset_meta = meta
    prepare_partial_queries(metric, toy, labels, sigma=5.0)
    metric.process(None, samples)
    ours = metric.compute_metrics(metric.results)

    # the same queries, scored and ranked here
    rng = np.random.default_rng(3)
    groups = [np.array([0, 1]), np.array([2, 3]), np.array([4])]
    g = F.normalize(emb, dim=1)
    p = F.normalize(proxy_emb, dim=1)
    for k in (1, 2):
        queries = combos.copy()
        for row in queries:
            for j in rng.choice(3, k, replace=False):
                row[groups[j]] = -1
        queries = np.unique(queries, axis=0)
        aps, r1 = [], []
        for q in queries:
            known = q >= 0
            agree = (combos[:, known] == q[known]).all(1)
            w = counts[agree] / counts[agree].sum()
            cos = (g @ p[torch.from_numpy(np.flatnonzero(agree))].t())
            score = np.log((w * np.exp(5 * cos.numpy())).sum(1)) / 5
            rel = (labels[:, known] == q[known]).all(1)
            order = sorted(range(len(score)), key=lambda i: -score[i])
            hits, precisions = 0, []
            for rank, i in enumerate(order, 1):
                if rel[i]:
                    hits += 1
                    precisions.append(hits / rank)
            aps.append(np.mean(precisions))
            r1.append(bool(rel[order[0]]))
        assert ours[f'k{k}/queries'] == len(queries)
        assert ours[f'k{k}/mAP'] == pytest.approx(100 * np.mean(aps),
                                                  abs=1e-3)
        assert ours[f'k{k}/R1'] == pytest.approx(100 * np.mean(r1))
