"""AttributeAccuracyMetric: per-attribute accuracy with multi-class groups
(Cerberus' Table 3 on Market-1501), against a hand computation."""
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from clear_mm.evaluation.metrics import AttributeAccuracyMetric

ATTRS = ['age_young', 'age_adult', 'age_old', 'female', 'hat']
GROUPS = dict(age=['age_young', 'age_adult', 'age_old'], gender=['female'],
              hat=['hat'])


def test_hand_computed():
    labels = np.array([[1, 0, 0, 1, 0],
                       [0, 1, 0, 0, 1],
                       [0, 0, 1, 1, 0],
                       [0, 0, 0, 0, 0]])  # no age: left out of 'age'
    scores = np.array([[0.9, 0.2, 0.1, 0.8, 0.1],   # age ok
                       [0.7, 0.6, 0.1, 0.6, 0.9],   # age wrong, female wrong
                       [0.1, 0.2, 0.3, 0.4, 0.6],   # age ok (low scores)
                       [0.2, 0.9, 0.1, 0.1, 0.2]])
    values, skipped = AttributeAccuracyMetric.calculate(
        scores, labels, ATTRS, GROUPS, multiclass=('age', ))
    assert skipped == dict(age=1)
    assert values['age'] == pytest.approx(200 / 3)
    assert values['female'] == pytest.approx(50.0)  # rows 1, 2 wrong
    assert values['hat'] == pytest.approx(75.0)  # row 2 wrong
    assert set(values) == {'age', 'female', 'hat', 'mean'}
    assert values['mean'] == pytest.approx((200 / 3 + 50 + 75) / 3)
    with pytest.raises(KeyError, match="groups \\['colour'\\] are not"):
        AttributeAccuracyMetric.calculate(scores, labels, ATTRS, GROUPS,
                                          multiclass=('colour', ))


def test_metric_reads_the_groups_from_the_dataset_meta():
    metric = AttributeAccuracyMetric(multiclass=('age', ))
    metric.dataset_meta = dict(attributes=ATTRS, attribute_groups=GROUPS)
    samples = [
        DataSample().set_gt_score(torch.tensor(g)).set_pred_score(
            torch.tensor(s)).to_dict()
        for g, s in zip([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1]],
                        [[0.9, 0.2, 0.1, 0.8, 0.1], [0.1, 0.9, 0.1, 0.2, 0.4]])
    ]
    metric.process(None, samples)
    out = metric.evaluate(2)
    assert out['par_acc/age'] == 100 and out['par_acc/hat'] == 50
    assert out['par_acc/mean'] == pytest.approx((100 + 100 + 50) / 3)


def test_market_config_reports_table_3s_twelve():
    from mmengine.config import Config

    from clear_mm.datasets.market1501_attr import MARKET_GROUPS
    from tests.utils import REPO
    cfg = Config.fromfile(f'{REPO}/configs/cerberus/cerberus_market1501.py')
    acc = cfg.val_evaluator[-1]
    assert acc.type == 'AttributeAccuracyMetric'
    grouped = sum(len(MARKET_GROUPS[g]) for g in acc.multiclass)
    # 30 binarised attributes -> 3 multi-class + 9 binary = 12
    assert len(acc.multiclass) + (30 - grouped) == 12
