import numpy as np
import pytest
import torch

from clear_mm.evaluation import ReIDMetric


def test_market_protocol_hand_computed():
    """One query (person 1, camera 1). Gallery, by similarity: person 1
    camera 1 (same camera: left out), person 2, person 1 camera 2,
    person 1 camera 3, junk (-1). Remaining ranking: p2, p1, p1 ->
    first match at rank 2, AP = (1/2 + 2/3) / 2."""
    q = torch.tensor([[1.0, 0.0]])
    g = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.8, 0.3], [0.5, 0.5],
                      [0.95, 0.05]])
    out = ReIDMetric.calculate(q, np.array([1]), np.array([1]), g,
                               np.array([1, 2, 1, 1, -1]),
                               np.array([1, 1, 2, 3, 2]), topk=(1, 2))
    assert out['R1'] == 0 and out['R2'] == 100
    assert out['mAP'] == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)
    assert out['num_skipped'] == 0


def test_metric_splits_query_and_gallery():
    metric = ReIDMetric(topk=(1, ))
    rows = [  # emb, pid, cam, is_query
        ([1.0, 0.0], 5, 0, True), ([0.0, 1.0], 6, 0, True),
        ([0.9, 0.1], 5, 1, False), ([0.1, 0.9], 6, 2, False),
        ([0.0, 1.0], 6, 0, False)]  # same id and camera as query 2
    metric.process(None, [
        dict(pred_embedding=torch.tensor(e), person_id=p, camera_id=c,
             is_query=q) for e, p, c, q in rows])
    assert metric.evaluate(5) == {'reid/R1': 100.0, 'reid/mAP': 100.0}
    bad = ReIDMetric()
    bad.process(None, [dict(pred_embedding=torch.zeros(2), person_id=1,
                            camera_id=0, is_query=True)])
    with pytest.raises(ValueError, match='1 query and 0 gallery'):
        bad.evaluate(1)
    with pytest.raises(KeyError, match='is_query'):
        ReIDMetric().process(None, [dict(pred_embedding=torch.zeros(2),
                                         person_id=1, camera_id=0)])
