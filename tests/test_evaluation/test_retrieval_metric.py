import numpy as np
import pytest
import torch
from mmpretrain.evaluation.metrics import RetrievalAveragePrecision

from clear_mm.evaluation.metrics import (AttrRetrievalMetric,
                                         FusedRetrievalMetric,
                                         ScoreRetrievalMetric)


def reference(query_emb, gallery_emb, query_attrs, gallery_attrs, topk):
    """Per-query loop: rank by a stable descending sort of the cosine
    similarities; relevant = identical attribute vector."""
    q = query_emb / np.linalg.norm(query_emb, axis=1, keepdims=True)
    g = gallery_emb / np.linalg.norm(gallery_emb, axis=1, keepdims=True)
    hits, aps = {k: [] for k in topk}, []
    for i in range(len(q)):
        scores = g @ q[i]
        order = sorted(range(len(g)), key=lambda j: -scores[j])  # stable
        rel = [bool((gallery_attrs[j] == query_attrs[i]).all())
               for j in order]
        if not any(rel):
            continue
        found, precisions = 0, []
        for rank, r in enumerate(rel, start=1):
            if r:
                found += 1
                precisions.append(found / rank)
        aps.append(np.mean(precisions))
        first = rel.index(True) + 1
        for k in topk:
            hits[k].append(first <= k)
    out = {f'R{k}': 100 * np.mean(hits[k]) for k in topk}
    out['mAP'] = 100 * np.mean(aps)
    out['num_skipped'] = len(q) - len(aps)
    return out


def four_hot(rng, n):
    emb = np.zeros((n, 6), dtype=np.float32)
    for row in emb:
        row[rng.choice(6, 4, replace=False)] = rng.choice([-0.5, 0.5], 4)
    return emb


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_calculate_matches_per_query_loop(seed):
    rng = np.random.default_rng(seed)
    gallery_attrs = rng.integers(0, 2, (200, 4))
    # distinct gallery vectors plus two queries nobody matches
    query_attrs = np.concatenate([
        np.unique(gallery_attrs, axis=0),
        np.array([[2, 0, 0, 0], [2, 1, 1, 1]])
    ])
    # +-0.5 in 4 of 6 dimensions: unit norm, scores are exact multiples of
    # 1/4 whatever the summation order, so ties are exact everywhere.
    gallery_emb = four_hot(rng, 200)
    gallery_emb[50:60] = gallery_emb[0]
    query_emb = four_hot(rng, len(query_attrs))
    got = AttrRetrievalMetric.calculate(
        query_emb, gallery_emb, query_attrs, gallery_attrs,
        topk=(1, 5, 10), chunk_size=7)
    want = reference(query_emb, gallery_emb, query_attrs, gallery_attrs,
                     (1, 5, 10))
    assert got['num_skipped'] == want['num_skipped'] == 2
    for key in ('R1', 'R5', 'R10', 'mAP'):
        assert got[key] == pytest.approx(want[key], abs=1e-9), key


def test_matches_mmpretrain_average_precision():
    """mmpretrain's RetrievalAveragePrecision (IR mode) on the same ranking
    (no ties) gives the same mAP."""
    rng = np.random.default_rng(3)
    gallery_attrs = rng.integers(0, 2, (120, 3))
    query_attrs = np.unique(gallery_attrs, axis=0)
    gallery_emb = rng.normal(size=(120, 5))
    query_emb = rng.normal(size=(len(query_attrs), 5))
    got = AttrRetrievalMetric.calculate(query_emb, gallery_emb, query_attrs,
                                        gallery_attrs)
    q = query_emb / np.linalg.norm(query_emb, axis=1, keepdims=True)
    g = gallery_emb / np.linalg.norm(gallery_emb, axis=1, keepdims=True)
    target = (query_attrs[:, None, :] == gallery_attrs[None]).all(-1)
    want = RetrievalAveragePrecision.calculate(
        torch.from_numpy(q @ g.T), torch.from_numpy(target.astype(int)),
        topk=120, mode='IR')
    assert got['mAP'] == pytest.approx(float(want), abs=1e-4)


def test_hand_computed_case():
    # gallery ranked for the query [1, 0]: g0 (rel), g1, g2 (rel)
    query_emb = np.array([[1.0, 0.0]])
    gallery_emb = np.array([[1.0, 0.0], [0.9, 0.1], [0.5, 0.5]])
    query_attrs = np.array([[1, 0]])
    gallery_attrs = np.array([[1, 0], [0, 1], [1, 0]])
    got = AttrRetrievalMetric.calculate(
        query_emb, gallery_emb, query_attrs, gallery_attrs, topk=(1, 2))
    assert got['R1'] == 100 and got['R2'] == 100
    assert got['mAP'] == pytest.approx(100 * (1 / 1 + 2 / 3) / 2)
    # a tie between a relevant and an irrelevant image: gallery order wins
    gallery_emb = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    gallery_attrs = np.array([[0, 0], [0, 1], [1, 0]])
    got = AttrRetrievalMetric.calculate(
        query_emb, gallery_emb, query_attrs, gallery_attrs, topk=(1, 2))
    assert (got['R1'], got['R2'], got['mAP']) == (0, 100, 50)


def test_no_relevant_query_counts_nowhere():
    got = AttrRetrievalMetric.calculate(
        np.eye(2), np.eye(2), np.array([[1, 1], [0, 1]]),
        np.array([[0, 1], [0, 0]]), topk=(1, ))
    # only the second query has a relevant image, ranked 2nd
    assert got['num_skipped'] == 1
    assert got['R1'] == 0 and got['mAP'] == 50


def test_calculate_scores_accepts_any_score():
    """A precomputed score matrix (e.g. a fused distance, negated) ranks
    like the embeddings it came from; a lower-is-better distance must be
    negated."""
    rng = np.random.default_rng(4)
    gallery_attrs = rng.integers(0, 2, (90, 3))
    query_attrs = np.unique(gallery_attrs, axis=0)
    gallery_emb = rng.normal(size=(90, 5))
    query_emb = rng.normal(size=(len(query_attrs), 5))
    want = AttrRetrievalMetric.calculate(query_emb, gallery_emb, query_attrs,
                                         gallery_attrs)
    q = query_emb / np.linalg.norm(query_emb, axis=1, keepdims=True)
    g = gallery_emb / np.linalg.norm(gallery_emb, axis=1, keepdims=True)
    distance = 1 - q @ g.T
    got = AttrRetrievalMetric.calculate_scores(
        -distance, query_attrs, gallery_attrs, chunk_size=3)
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-9)
    with pytest.raises(ValueError, match='Scores of shape'):
        AttrRetrievalMetric.calculate_scores(distance[:, :5], query_attrs,
                                             gallery_attrs)


def test_fused_distance_hand_computed():
    """Paper 004: cosine distance / its max + 0.2 x Euclidean distance to
    the predicted scores / its max."""
    query_emb = np.array([[1.0, 0.0]])
    gallery_emb = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    query_attrs = np.array([[1, 0]])
    gallery_scores = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    fn = AttrRetrievalMetric.fused_scores(query_emb, gallery_emb, query_attrs,
                                          gallery_scores, par_weight=0.2)
    d_cos = np.array([0.0, 1.0, 2.0]) / 2
    d_euc = np.array([np.sqrt(2), 0.0, 1.0]) / np.sqrt(2)
    np.testing.assert_allclose(fn(0, 1).numpy()[0], -(d_cos + 0.2 * d_euc),
                               rtol=1e-6)
    # with a large PAR weight the PAR scores decide the ranking
    gallery_attrs = np.array([[0, 1], [1, 0], [1, 1]])
    low = AttrRetrievalMetric.calculate_scores(
        AttrRetrievalMetric.fused_scores(query_emb, gallery_emb, query_attrs,
                                         gallery_scores, 0.2),
        query_attrs, gallery_attrs, topk=(1, ))
    high = AttrRetrievalMetric.calculate_scores(
        AttrRetrievalMetric.fused_scores(query_emb, gallery_emb, query_attrs,
                                         gallery_scores, 10.0),
        query_attrs, gallery_attrs, topk=(1, ))
    assert (low['R1'], high['R1']) == (0, 100)
    with pytest.raises(ValueError, match='Attribute scores of shape'):
        AttrRetrievalMetric.fused_scores(query_emb, gallery_emb, query_attrs,
                                         gallery_scores[:, :1])


def test_fused_distance_normalises_each_matrix_by_its_highest_value():
    """Paper 004: "both distance matrices are normalized by their highest
    values": one maximum per matrix, not one per query. Here per-query
    maxima would rank another image first for query 0."""
    query_emb = np.array([[-2.0, 2.0], [1.0, -1.0]])
    gallery_emb = np.array([[-2.0, 0.0], [1.0, 2.0], [-2.0, 1.0]])
    query_attrs = np.array([[1, 1], [1, 1]])
    gallery_scores = np.array([[1.0, 1.0], [0.5, 1.0], [0.5, 1.0]])
    fn = AttrRetrievalMetric.fused_scores(query_emb, gallery_emb, query_attrs,
                                          gallery_scores, par_weight=0.2,
                                          chunk_size=1)
    e = gallery_emb / np.linalg.norm(gallery_emb, axis=1, keepdims=True)
    q = query_emb / np.linalg.norm(query_emb, axis=1, keepdims=True)
    d_cos = 1 - q @ e.T
    d_euc = np.linalg.norm(query_attrs[:, None] - gallery_scores[None],
                           axis=2)
    want = -(d_cos / d_cos.max() + 0.2 * d_euc / d_euc.max())
    np.testing.assert_allclose(fn(0, 2).numpy(), want, rtol=1e-6)
    per_row = -(d_cos / d_cos.max(1, keepdims=True) +
                0.2 * d_euc / d_euc.max(1, keepdims=True))
    assert np.argmax(want[0]) != np.argmax(per_row[0])


def test_fused_metric_reports_each_part_alone():
    """mAP_embedding and mAP_par next to the fused numbers, each equal to
    the metric of that part alone."""
    from mmpretrain.structures import DataSample
    rng = np.random.default_rng(0)
    attrs = rng.integers(0, 2, (30, 4))
    emb = rng.normal(size=(30, 8))
    scores = np.clip(attrs + rng.normal(0, 0.4, attrs.shape), 0, 1)
    queries = np.unique(attrs, axis=0)
    query_emb = torch.tensor(rng.normal(size=(len(queries), 8)))
    samples = []
    for a, s, e in zip(attrs, scores, emb):
        sample = DataSample().set_gt_score(torch.tensor(a)).set_pred_score(
            torch.tensor(s, dtype=torch.float))
        sample.set_field(torch.tensor(e, dtype=torch.float), 'pred_embedding')
        samples.append(sample.to_dict())
    metric = FusedRetrievalMetric(par_weight=0.2)
    metric.set_queries(queries, query_emb)
    metric.process(None, samples)
    out = metric.evaluate(30)
    alone = AttrRetrievalMetric.calculate(query_emb.numpy(), emb, queries,
                                          attrs)
    assert out['retrieval/mAP_embedding'] == pytest.approx(alone['mAP'])
    by_scores = ScoreRetrievalMetric()
    by_scores.set_queries(queries)
    by_scores.process(None, samples)
    assert out['retrieval/mAP_par'] == pytest.approx(
        by_scores.evaluate(30)['retrieval/mAP'])
    assert out['retrieval/mAP_par'] > out['retrieval/mAP_embedding']


def test_metric_uses_fused_distance_with_par_weight():
    from mmpretrain.structures import DataSample
    metric = FusedRetrievalMetric(par_weight=10.0, topk=(1, ))
    metric.set_queries(np.array([[1, 0]]), torch.tensor([[1.0, 0.0]]))
    gallery_emb = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]
    scores = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    attrs = [[0, 1], [1, 0], [1, 1]]
    samples = []
    for e, s, a in zip(gallery_emb, scores, attrs):
        sample = DataSample().set_gt_score(torch.tensor(a))
        sample.set_field(torch.tensor(e), 'pred_embedding')
        sample.set_field(torch.tensor(s), 'pred_score')
        samples.append(sample.to_dict())
    metric.process(None, samples)
    assert metric.evaluate(3)['retrieval/R1'] == 100
    without = AttrRetrievalMetric(topk=(1, ))
    without.set_queries(np.array([[1, 0]]), torch.tensor([[1.0, 0.0]]))
    with pytest.raises(RuntimeError, match='no query embeddings'):
        AttrRetrievalMetric().compute_metrics(without.results)
    with pytest.raises(ValueError, match='one row each'):
        without.set_queries(np.array([[1, 0]]), torch.zeros(2, 2))
    with pytest.raises(ValueError, match='must be 0/1'):
        without.set_queries(np.array([[1, 2]]), torch.zeros(1, 2))
    without.process(None, samples)
    assert without.evaluate(3)['retrieval/R1'] == 0


def test_attribute_scores_only():
    """ScoreRetrievalMetric (paper 004's PAR baseline): ranked by the
    Euclidean distance to the predicted scores; no embeddings, no encoder."""
    from mmpretrain.structures import DataSample
    query_attrs = np.array([[1, 0], [0, 1]])
    scores = np.array([[0.9, 0.4], [0.6, 0.1], [0.2, 0.7]])
    fn = AttrRetrievalMetric.fused_scores(None, None, query_attrs, scores,
                                          par_weight=1.0, embedding_weight=0)
    d = np.linalg.norm(query_attrs[:, None] - scores[None], axis=2)
    np.testing.assert_allclose(fn(0, 2).numpy(), -d / d.max(), rtol=1e-6)
    metric = ScoreRetrievalMetric(topk=(1, ))
    metric.set_queries(query_attrs)
    samples = [
        DataSample().set_gt_score(torch.tensor(a)).set_pred_score(
            torch.tensor(s)).to_dict()
        for a, s in zip([[1, 0], [1, 0], [0, 1]], scores)
    ]
    metric.process(None, samples)
    # query [1, 0]: images 0 and 1 (both relevant) are equally close and
    # rank first: AP 1. Query [0, 1]: image 2 first: AP 1.
    assert metric.evaluate(3) == {'retrieval/R1': 100.0,
                                  'retrieval/mAP': 100.0}
    with pytest.raises(ValueError, match='>= 0'):
        FusedRetrievalMetric(par_weight=-1)
    with pytest.raises(KeyError, match='pred_score'):
        FusedRetrievalMetric().process(None, [dict(
            gt_score=torch.tensor([1, 0]),
            pred_embedding=torch.zeros(2))])


def test_non_finite_scores_are_an_error():
    query_emb = np.array([[1.0, 0.0], [0.0, 1.0]])
    gallery_emb = np.array([[1.0, 0.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match='Non-finite retrieval scores'):
        AttrRetrievalMetric.calculate(query_emb, gallery_emb,
                                      np.array([[1], [0]]),
                                      np.array([[1], [0]]))


@pytest.mark.parametrize('fused', [False, True])
def test_seen_and_unseen_queries_apart(fused):
    """With the training combinations known, seen/* and unseen/* are the
    per-query loop over each subset, ranked as in the full run (the fused
    distance keeps the maxima of the whole query set)."""
    from mmpretrain.structures import DataSample
    rng = np.random.default_rng(4)
    attrs = rng.integers(0, 2, (60, 4))
    emb = rng.normal(size=(60, 8)).astype(np.float32)
    scores = np.clip(attrs + rng.normal(0, 0.4, attrs.shape), 0, 1)
    queries = np.unique(attrs, axis=0)
    query_emb = rng.normal(size=(len(queries), 8)).astype(np.float32)
    train = queries[::3]  # a third of the combinations seen in training
    samples = []
    for a, s, e in zip(attrs, scores, emb):
        sample = DataSample().set_gt_score(torch.tensor(a)).set_pred_score(
            torch.tensor(s, dtype=torch.float))
        sample.set_field(torch.tensor(e), 'pred_embedding')
        samples.append(sample.to_dict())
    metric = FusedRetrievalMetric() if fused else AttrRetrievalMetric()
    metric.set_queries(queries, torch.tensor(query_emb),
                       train_combinations=train)
    metric.process(None, samples)
    out = metric.evaluate(60)
    # the full run's scores, computed here: cosine similarity, or the
    # fused distance (embedding weight 1, lambda_Ret 0.2, each distance
    # over its maximum of the whole query set), negated
    q = query_emb / np.linalg.norm(query_emb, axis=1, keepdims=True)
    g = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    full = q @ g.T
    if fused:
        d_cos = 1 - full
        d_euc = np.linalg.norm(queries[:, None].astype(float) -
                               scores.astype(np.float32)[None], axis=2)
        full = -(d_cos / d_cos.max() + 0.2 * d_euc / d_euc.max())
    seen = np.array([any((q == t).all() for t in train) for q in queries])
    assert out['retrieval/seen/queries'] == seen.sum() == len(train)
    assert out['retrieval/unseen/queries'] == (~seen).sum()
    for name, mask in (('seen', seen), ('unseen', ~seen)):
        # the loop ranks by any score matrix: scores as gallery "embedding"
        # dot products are replaced by the rows of the full run
        ref = loop_over(full[mask], queries[mask], attrs)
        for key in ('R1', 'R5', 'R10', 'mAP'):
            assert out[f'retrieval/{name}/{key}'] == pytest.approx(
                ref[key]), (name, key)


def loop_over(score_rows, query_attrs, gallery_attrs, topk=(1, 5, 10)):
    """Per-query loop on given score rows (stable descending order)."""
    hits, aps = {k: [] for k in topk}, []
    for row, q in zip(score_rows, query_attrs):
        order = sorted(range(len(row)), key=lambda j: -row[j])
        rel = [bool((gallery_attrs[j] == q).all()) for j in order]
        ranks = [r for r, good in enumerate(rel, start=1) if good]
        aps.append(np.mean([(i + 1) / r for i, r in enumerate(ranks)]))
        for k in topk:
            hits[k].append(ranks[0] <= k)
    out = {f'R{k}': 100 * np.mean(hits[k]) for k in topk}
    out['mAP'] = 100 * np.mean(aps)
    return out
