import math

import pytest
import torch
import torch.nn.functional as F

from clear_mm.models.losses import (IdentificationLoss, PrototypeRegularizer,
                                    SemanticGuidanceLoss, adaptive_margins,
                                    batch_hard_soft_margin_triplet)


def test_adaptive_margins_eq4():
    m = adaptive_margins([1, 3], alpha=0.4, beta=1.8)
    torch.testing.assert_close(
        m, torch.tensor([math.log(0.4 * 0.25 + 1.8),
                         math.log(0.4 * 0.75 + 1.8)]))
    assert m[1] > m[0]  # frequent SIDs get the larger margin


def test_semantic_guidance_hand_computed():
    loss = SemanticGuidanceLoss(loss_weight=1.0)
    protos = [torch.tensor([[1.0, 0.0], [0.0, 1.0]])]
    feats = [torch.tensor([[1.0, 1.0], [0.0, 2.0]])]
    sids = torch.tensor([[0], [1]])
    margins = [torch.tensor([0.2, 0.5])]
    # cos 1/sqrt2 with margin 0.2: 0.8 - 0.7071; cos 1 with 0.5: 0
    want = (max(0.8 - 1 / math.sqrt(2), 0) + 0.0) / 2
    assert loss(feats, protos, sids, margins).item() == pytest.approx(want)
    assert SemanticGuidanceLoss()(feats, protos, sids, margins).item() == \
        pytest.approx(5 * want)


def test_batch_hard_triplet_hand_computed():
    feats = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    labels = torch.tensor([0, 0, 1, 1])
    # anchor 0: hardest pos 1, hardest neg 3; anchor 1: pos 1, neg 2;
    # anchor 2: pos 4, neg 2; anchor 3: pos 4, neg 6
    want = sum(F.softplus(torch.tensor(d)).item()
               for d in (1 - 3.0, 1 - 2.0, 4 - 2.0, 4 - 6.0)) / 4
    assert batch_hard_soft_margin_triplet(feats, labels).item() == \
        pytest.approx(want)
    # no positive pair in the batch: zero, still differentiable
    single = batch_hard_soft_margin_triplet(feats[:2], torch.tensor([0, 1]))
    assert single.item() == 0


def test_identification_loss_averages_groups():
    torch.manual_seed(0)
    feats = [torch.randn(4, 3), torch.randn(4, 3)]
    logits = [torch.randn(4, 5), torch.randn(4, 5)]
    labels = torch.tensor([0, 0, 2, 2])
    want = sum(F.cross_entropy(z, labels) +
               batch_hard_soft_margin_triplet(f, labels)
               for f, z in zip(feats, logits)) / 2
    torch.testing.assert_close(IdentificationLoss()(feats, logits, labels),
                               want)


def test_prototype_regularizer_eq7_8():
    # three attributes; the group holds the last two (columns 1 and 2)
    reg = PrototypeRegularizer(3, embed_dims=2, loss_weight=1.0)
    attrs = [torch.tensor([[0, 0], [1, 0], [0, 1]])]
    cols = [[1, 2]]
    with torch.no_grad():
        reg.residuals[1:].copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    # prototypes that follow the residuals exactly: zero loss
    protos = [torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])]
    assert reg(protos, attrs, cols).item() == pytest.approx(0.0)
    # move one prototype by (0, 1): pairs (1, n) and (n, 1) for n != 1 are
    # off by 1 each -> 4 ordered pairs x 1
    moved = [protos[0] + torch.tensor([[0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])]
    assert reg(moved, attrs, cols).item() == pytest.approx(4.0)
    moved[0].requires_grad_(True)
    reg(moved, attrs, cols).backward()
    assert reg.residuals.grad[1:].abs().sum() > 0
    assert reg.residuals.grad[0].abs().sum() == 0  # in no group
