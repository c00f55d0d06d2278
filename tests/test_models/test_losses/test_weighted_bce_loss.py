import math

import pytest
import torch

from clear_mm.models import WeightedBCELoss


def test_matches_hand_computation():
    ratio = [0.2, 0.5]
    loss = WeightedBCELoss(pos_ratio=ratio)
    logits = torch.tensor([[0.0, 2.0], [-1.0, 0.5]])
    labels = torch.tensor([[1, 0], [0, 1]])
    total = 0.0
    for i in range(2):
        for j in range(2):
            y, r = labels[i, j].item(), ratio[j]
            p = 1 / (1 + math.exp(-logits[i, j].item()))
            w = math.exp(y * (1 - r) + (1 - y) * r)
            total += -w * (y * math.log(p) + (1 - y) * math.log(1 - p))
    # summed over attributes, averaged over the batch
    assert loss(logits, labels).item() == pytest.approx(total / 2, rel=1e-6)


def test_weight_masks_elements():
    loss = WeightedBCELoss(pos_ratio=[0.3, 0.3, 0.3])
    logits = torch.randn(4, 3)
    labels = torch.randint(0, 2, (4, 3))
    mask = torch.ones(4, 3)
    mask[:, 2] = 0
    full = WeightedBCELoss(pos_ratio=[0.3, 0.3])
    assert loss(logits, labels, weight=mask).item() == pytest.approx(
        full(logits[:, :2], labels[:, :2]).item(), rel=1e-6)


def test_errors():
    with pytest.raises(RuntimeError, match='DatasetMetaHook'):
        WeightedBCELoss()(torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match='2 positive ratios.*3 attributes'):
        WeightedBCELoss([0.1, 0.2])(torch.zeros(1, 3), torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        WeightedBCELoss([1.5])
    # the ratio is data, not a parameter: not in the state dict
    assert 'pos_ratio' not in WeightedBCELoss([0.1]).state_dict()
