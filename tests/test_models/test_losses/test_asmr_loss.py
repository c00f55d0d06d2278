import math

import pytest
import torch

from clear_mm.models.losses import ASMRLoss


def loss_with_groups():
    loss = ASMRLoss(num_groups=2)
    loss.set_groups(['a', 'b', 'c'], {'g1': ['a', 'b'], 'g2': ['c']})
    return loss


def test_hand_computed_distance_and_value():
    loss = loss_with_groups()
    attrs = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 1]])
    # equal group weights: d = mean over groups of the share that differs
    torch.testing.assert_close(
        loss.semantic_distance(attrs),
        torch.tensor([[0.0, 0.5, 0.5], [0.5, 0.0, 1.0], [0.5, 1.0, 0.0]]))
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # targets 1 - 2d: 0, 0, -1; cosines 0, 1/sqrt2, 1/sqrt2
    want = (0 + 0.5 + (1 / math.sqrt(2) + 1)**2) / 3
    assert loss(emb, attrs).item() == pytest.approx(want, rel=1e-6)


def test_group_weights_learn():
    loss = loss_with_groups()
    attrs = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 1]])
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    loss(emb, attrs).backward()
    assert loss.group_logits.grad.abs().sum() > 0
    # embeddings placed at their targets give zero loss
    perfect = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    attrs = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 1]])
    assert loss(perfect, attrs).item() == pytest.approx(0.0, abs=1e-12)


def test_errors():
    loss = ASMRLoss(num_groups=3)
    with pytest.raises(ValueError, match='built for 3 attribute groups'):
        loss.set_groups(['a'], {'g1': ['a']})
    with pytest.raises(RuntimeError, match='set_groups'):
        loss(torch.randn(2, 4), torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match=r"\['c'\] are in no group"):
        ASMRLoss(1).set_groups(['a', 'c'], {'g': ['a']})


def test_max_proxies_uses_a_random_subset_in_training():
    loss = loss_with_groups()
    loss.max_proxies = 2
    attrs = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]])
    emb = torch.randn(4, 2)
    torch.manual_seed(3)
    keep = torch.randperm(4)[:2]
    torch.manual_seed(3)
    sampled = loss(emb, attrs)
    torch.testing.assert_close(sampled, loss(emb[keep], attrs[keep]))
    loss.eval()  # evaluation: all pairs
    loss.max_proxies, full = None, loss(emb, attrs)
    loss.max_proxies = 2
    torch.testing.assert_close(loss(emb, attrs), full)
    with pytest.raises(ValueError, match='max_proxies'):
        ASMRLoss(2, max_proxies=1)
