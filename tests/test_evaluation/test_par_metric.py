import numpy as np
import pytest
import torch

from clear_mm.evaluation import PARMetric


def reference(pred_score, gt, thr=0.5):
    """Independent per-attribute and per-image loops of the protocol."""
    pred = pred_score > thr
    n, a = gt.shape
    label = []
    for j in range(a):
        pos = [i for i in range(n) if gt[i, j] == 1]
        neg = [i for i in range(n) if gt[i, j] == 0]
        tpr = sum(pred[i, j] for i in pos) / len(pos) if pos else 0.0
        tnr = sum(not pred[i, j] for i in neg) / len(neg) if neg else 0.0
        label.append((tpr + tnr) / 2)
    acc, prec, rec = [], [], []
    for i in range(n):
        g = {j for j in range(a) if gt[i, j] == 1}
        p = {j for j in range(a) if pred[i, j]}
        acc.append(len(g & p) / len(g | p) if g | p else 0.0)
        prec.append(len(g & p) / len(p) if p else 0.0)
        rec.append(len(g & p) / len(g) if g else 0.0)
    P, R = np.mean(prec), np.mean(rec)
    return dict(
        mA=np.mean(label),
        accuracy=np.mean(acc),
        precision=P,
        recall=R,
        f1=2 * P * R / (P + R) if P + R else 0.0,
        label_mA=np.array(label))


@pytest.mark.parametrize('seed', range(5))
def test_calculate_matches_reference(seed):
    rng = np.random.default_rng(seed)
    gt = (rng.random((40, 7)) < rng.uniform(0.05, 0.6, 7)).astype(int)
    gt[:, 0] = 0  # an attribute without positives
    gt[3] = 0  # an image without positive labels
    score = rng.random((40, 7))
    score[5] = 0.1  # an image without positive predictions
    score[7, 2] = 0.5  # exactly the threshold: negative
    out = PARMetric.calculate(score, gt)
    ref = reference(score, gt)
    for key in ('mA', 'accuracy', 'precision', 'recall', 'f1'):
        assert out[key] == pytest.approx(ref[key], abs=1e-12), key
    np.testing.assert_allclose(out['label_mA'], ref['label_mA'])


def test_calculate_hand_case():
    gt = np.array([[1, 0], [0, 0], [1, 1]])
    score = np.array([[0.9, 0.6], [0.2, 0.1], [0.4, 0.8]])
    out = PARMetric.calculate(score, gt)
    # attr 0: TP 1/2, TN 1/1 -> 0.75; attr 1: TP 1/1, TN 1/2 -> 0.75
    assert out['mA'] == pytest.approx(0.75)
    # images: acc 1/2, 0 (empty), 1/2; prec 1/2, 0, 1; rec 1, 0, 1/2
    assert out['accuracy'] == pytest.approx(1 / 3)
    assert out['precision'] == pytest.approx(0.5)
    assert out['recall'] == pytest.approx(0.5)
    assert out['f1'] == pytest.approx(0.5)


def test_calculate_rejects_bad_input():
    with pytest.raises(ValueError, match='must both be'):
        PARMetric.calculate(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match='NaN'):
        PARMetric.calculate(np.full((2, 3), np.nan), np.zeros((2, 3)))
    with pytest.raises(ValueError, match='0/1'):
        PARMetric.calculate(np.zeros((2, 3)), np.full((2, 3), 2))


def test_metric_on_data_samples():
    rng = np.random.default_rng(0)
    gt = (rng.random((10, 4)) < 0.4).astype(int)
    score = rng.random((10, 4))
    metric = PARMetric(classwise=True)
    metric.dataset_meta = dict(attributes=['a', 'b', 'c', 'd'])
    samples = [
        dict(pred_score=torch.tensor(s), gt_score=torch.tensor(g))
        for s, g in zip(score, gt)
    ]
    metric.process(None, samples[:6])
    metric.process(None, samples[6:])
    res = metric.evaluate(10)
    ref = reference(score, gt)
    assert res['par/mA'] == pytest.approx(100 * ref['mA'])
    assert res['par/f1'] == pytest.approx(100 * ref['f1'])
    assert res['par/mA_c'] == pytest.approx(100 * ref['label_mA'][2])
    assert set(res) >= {
        'par/mA', 'par/accuracy', 'par/precision', 'par/recall', 'par/f1'
    }


def test_named_table_against_loops():
    """Paper 002's Table 4 rows: per named attribute or union, counted in
    plain loops."""
    rng = np.random.default_rng(3)
    names = ['Female', 'Hat', 'HandBag', 'ShoulderBag', 'Backpack']
    gt = (rng.random((60, 5)) < 0.3).astype(int)
    score = rng.random((60, 5))
    named = dict(Female='Female', Bags=['HandBag', 'ShoulderBag', 'Backpack'])
    metric = PARMetric(named=named)
    metric.dataset_meta = dict(attributes=names)
    metric.results = [
        dict(pred_score=torch.tensor(s), gt_score=torch.tensor(g))
        for s, g in zip(score, gt)
    ]
    out = metric.compute_metrics(metric.results)
    for name, cols in (('Female', [0]), ('Bags', [2, 3, 4])):
        tp = fp = fn = tn = 0
        for i in range(60):
            g = any(gt[i, c] == 1 for c in cols)
            p = any(score[i, c] > 0.5 for c in cols)
            tp += g and p
            fp += p and not g
            fn += g and not p
            tn += not g and not p
        prec, rec = tp / (tp + fp), tp / (tp + fn)
        assert out[f'{name}/samples'] == tp + fn
        assert out[f'{name}/precision'] == pytest.approx(100 * prec)
        assert out[f'{name}/recall'] == pytest.approx(100 * rec)
        assert out[f'{name}/f1'] == pytest.approx(
            100 * 2 * prec * rec / (prec + rec))
        assert out[f'{name}/mA'] == pytest.approx(
            100 * (tp / (tp + fn) + tn / (tn + fp)) / 2)
    # a single attribute's mA is PARMetric's own label-based mA
    assert out['Female/mA'] == pytest.approx(
        100 * PARMetric.calculate(score, gt)['label_mA'][0])


def test_named_table_unknown_attribute():
    metric = PARMetric(named=dict(Bags=['HandBag', 'Tote']))
    metric.dataset_meta = dict(attributes=['Female', 'HandBag'])
    results = [dict(pred_score=torch.rand(2), gt_score=torch.tensor([1, 0]))]
    with pytest.raises(ValueError, match=r"\['Tote'\] not among"):
        metric.compute_metrics(results)
