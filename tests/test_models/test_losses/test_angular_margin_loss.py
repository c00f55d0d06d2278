import math

import pytest
import torch

from clear_mm.models.losses import AngularMarginLoss


def test_hand_computed_value():
    # f at angle 0 from its positive proxy, 90 deg from the other
    loss = AngularMarginLoss(scale=2.0, margin=0.2)
    f = torch.tensor([[2.0, 0.0]])  # the norm does not matter
    proxies = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    got = loss(f, proxies, torch.tensor([0]))
    want = math.log(1 + math.exp(-2 * math.cos(0.2)))
    assert got.item() == pytest.approx(want, rel=1e-5)
    # f at 60 deg from its positive, 30 deg from the negative
    f = torch.tensor([[math.cos(math.pi / 3), math.sin(math.pi / 3)]])
    proxies = torch.tensor([[1.0, 0.0],
                            [math.cos(math.pi / 2.4), math.sin(math.pi / 2.4)]])
    got = loss(f, proxies, torch.tensor([0]))
    pos = 2 * math.cos(math.pi / 3 + 0.2)
    neg = 2 * math.cos(math.pi / 3 - math.pi / 2.4)
    want = -pos + math.log(math.exp(pos) + math.exp(neg))
    assert got.item() == pytest.approx(want, rel=1e-5)


def test_zero_margin_is_scaled_softmax_cross_entropy():
    torch.manual_seed(0)
    f, proxies = torch.randn(5, 8), torch.randn(7, 8)
    targets = torch.tensor([0, 3, 3, 6, 1])
    got = AngularMarginLoss(scale=4.0, margin=0.0)(f, proxies, targets)
    cos = torch.nn.functional.cosine_similarity(
        f[:, None], proxies[None], dim=-1)
    want = torch.nn.functional.cross_entropy(4.0 * cos, targets)
    torch.testing.assert_close(got, want)


def test_margin_only_on_the_positive_and_past_pi():
    loss = AngularMarginLoss(scale=1.0, margin=0.3)
    f = torch.tensor([[1.0, 0.0]])
    proxies = torch.tensor([[-1.0, 0.0], [0.0, 1.0]])  # positive at 180 deg
    logits = loss.logits(f, proxies, torch.tensor([0]))
    # past pi the logit continues as cos(a) - m sin(m), below cos(a)
    assert logits[0, 0].item() == pytest.approx(-1 - 0.3 * math.sin(0.3))
    assert logits[0, 1].item() == pytest.approx(0.0, abs=1e-6)  # no margin


def test_gradient_pulls_to_the_positive():
    torch.manual_seed(0)
    f = torch.randn(4, 6, requires_grad=True)
    proxies = torch.randn(3, 6)
    targets = torch.tensor([0, 1, 2, 0])
    loss = AngularMarginLoss()
    before = loss(f, proxies, targets)
    before.backward()
    with torch.no_grad():
        after = loss(f - 0.1 * f.grad, proxies, targets)
    assert after < before


def test_errors():
    loss = AngularMarginLoss()
    with pytest.raises(ValueError, match='Embedding sizes'):
        loss(torch.randn(2, 3), torch.randn(4, 5), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='index the 4 proxies'):
        loss(torch.randn(2, 3), torch.randn(4, 3), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match='margin'):
        AngularMarginLoss(margin=2.0)


def test_per_sample_losses_and_weights():
    torch.manual_seed(0)
    f, proxies = torch.randn(3, 4), torch.randn(5, 4)
    targets = torch.tensor([0, 3, 3])
    loss = AngularMarginLoss(loss_weight=2.0)
    per_sample = loss(f, proxies, targets, reduction_override='none')
    expected = 2.0 * torch.nn.functional.cross_entropy(
        loss.logits(f, proxies, targets), targets, reduction='none')
    torch.testing.assert_close(per_sample, expected)
    torch.testing.assert_close(loss(f, proxies, targets), expected.mean())
    w = torch.tensor([0.0, 1.0, 2.0])
    torch.testing.assert_close(
        loss(f, proxies, targets, weight=w), (w * expected).mean())
    with pytest.raises(ValueError, match=r'weight must be \(3,\)'):
        loss(f, proxies, targets, weight=torch.ones(2))
