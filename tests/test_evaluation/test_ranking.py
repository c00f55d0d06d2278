"""The ranking core: the vectorised evaluate_ranking gives exactly the
numbers of a per-query stable sort, ties and ignored items included."""
import numpy as np
import pytest
import torch

from clear_mm.evaluation import ReIDMetric, evaluate_ranking
from tests.utils import ranking_loop


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_vectorised_equals_per_query_loop(seed):
    rng = np.random.default_rng(seed)
    num_q, num_g = 40, 300
    # scores on a coarse grid: many exact ties, between relevant items too
    scores = torch.from_numpy(rng.integers(0, 8, (num_q, num_g)) / 8.0)
    query_ids = rng.permutation(80)[:num_q]  # ids >= 60 have no item
    gallery_ids = rng.integers(0, 60, num_g)
    got = evaluate_ranking(scores, query_ids, gallery_ids, (1, 3, 10),
                           chunk_size=7)
    want = ranking_loop(scores, query_ids[:, None] == gallery_ids[None],
                        (1, 3, 10))
    assert got['num_skipped'] == want['num_skipped'] > 0
    for key in ('R1', 'R3', 'R10', 'mAP'):
        assert got[key] == pytest.approx(want[key], abs=1e-9), key
    # the same queries given as a relevance mask (partial queries' form)
    mask = evaluate_ranking(scores, topk=(1, 3, 10), chunk_size=7,
                            relevant=query_ids[:, None] == gallery_ids[None])
    assert mask == got


def test_relevance_mask_equals_per_query_loop():
    """Partial queries: any set of relevant items per query, not ids."""
    rng = np.random.default_rng(5)
    scores = torch.from_numpy(rng.integers(0, 6, (30, 200)) / 6.0)
    relevant = rng.random((30, 200)) < 0.05
    relevant[3] = False  # a query without a relevant item is skipped
    got = evaluate_ranking(scores, topk=(1, 5), chunk_size=8,
                           relevant=relevant)
    want = ranking_loop(scores, relevant, (1, 5))
    assert got['num_skipped'] == want['num_skipped'] == 1
    for key in ('R1', 'R5', 'mAP'):
        assert got[key] == pytest.approx(want[key], abs=1e-9), key


def test_hand_computed_ties_keep_gallery_order():
    # one query, id 1; items: [id 2: 0.5, id 1: 0.5, id 1: 0.9, id 2: 0.5]
    # stable descending: item 2 (rel), item 0, item 1 (rel), item 3
    out = evaluate_ranking(torch.tensor([[0.5, 0.5, 0.9, 0.5]]), [1],
                           [2, 1, 1, 2], topk=(1, 2))
    assert out['R1'] == 100 and out['mAP'] == pytest.approx(
        100 * (1 / 1 + 2 / 3) / 2)


def reid_loop(q_emb, q_pid, q_cam, g_emb, g_pid, g_cam, topk):
    """Market protocol by the per-query reference loop: the same person
    seen by the same camera and junk items (id < 0) removed from each
    query's ranking (moved behind every other item, never relevant)."""
    sim = torch.nn.functional.normalize(q_emb, dim=1) @ \
        torch.nn.functional.normalize(g_emb, dim=1).t()
    same = q_pid[:, None] == g_pid[None]
    ignored = (same & (q_cam[:, None] == g_cam[None])) | (g_pid[None] < 0)
    out = ranking_loop(sim.masked_fill(torch.from_numpy(ignored),
                                       float('-inf')),
                       same & ~ignored, topk)
    return {f'R{k}': out[f'R{k}'] for k in topk}, out['mAP']


def test_reid_ignores_same_camera_and_junk():
    rng = np.random.default_rng(0)
    q_emb, g_emb = torch.randn(30, 8), torch.randn(200, 8)
    g_emb[100:110] = g_emb[0]  # exact ties
    q_pid, q_cam = rng.integers(0, 20, 30), rng.integers(0, 3, 30)
    g_pid, g_cam = rng.integers(-1, 20, 200), rng.integers(0, 3, 200)
    got = ReIDMetric.calculate(q_emb, q_pid, q_cam, g_emb, g_pid, g_cam,
                               (1, 5))
    cmc, mean_ap = reid_loop(q_emb, q_pid, q_cam, g_emb, g_pid, g_cam,
                             (1, 5))
    assert got['R1'] == pytest.approx(cmc['R1'], abs=1e-9)
    assert got['R5'] == pytest.approx(cmc['R5'], abs=1e-9)
    assert got['mAP'] == pytest.approx(mean_ap, abs=1e-9)
