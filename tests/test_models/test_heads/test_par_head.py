import torch
from mmpretrain.structures import DataSample

from clear_mm.models import PARHead


def samples(gt, ignore=None):
    out = []
    for i, g in enumerate(gt):
        ds = DataSample().set_gt_score(torch.tensor(g))
        if ignore is not None:
            ds.set_field(torch.tensor(ignore[i]), 'gt_ignore')
        out.append(ds)
    return out


def test_predict_fills_scores_and_strict_labels():
    head = PARHead(num_classes=3, in_channels=4)
    torch.nn.init.zeros_(head.fc.weight)
    head.fc.bias.data = torch.tensor([0.0, 1.0, -1.0])  # sigmoid: .5 .73 .27
    preds = head.predict((torch.randn(2, 4), ))
    torch.testing.assert_close(preds[0].pred_score,
                               torch.sigmoid(head.fc.bias.data))
    # 0.5 exactly is not positive (score > thr)
    assert preds[0].pred_label.tolist() == [1]


def test_loss_ignores_uncertain_labels():
    torch.manual_seed(0)
    head = PARHead(
        num_classes=3,
        in_channels=4,
        loss=dict(type='WeightedBCELoss', pos_ratio=[0.2, 0.4, 0.6]))
    feats = (torch.randn(2, 4), )
    gt = [[1, 0, 0], [0, 1, 0]]
    base = head.loss(feats, samples(gt))['loss']
    # flipping the label of an ignored element changes nothing
    ignored = head.loss(
        feats, samples([[1, 0, 1], [0, 1, 0]],
                       [[0, 0, 1], [0, 0, 0]]))['loss']
    ref = head.loss(feats, samples(gt, [[0, 0, 1], [0, 0, 0]]))['loss']
    assert torch.isclose(ignored, ref)
    assert not torch.isclose(base, ref)


def test_plain_bce_from_config():
    """Eq. (6) summed over attributes, averaged over the batch."""
    head = PARHead(
        num_classes=2,
        in_channels=4,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True))
    feats = (torch.randn(3, 4), )
    loss = head.loss(feats, samples([[1, 0], [0, 0], [1, 1]]))['loss']
    logits = head(feats)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.tensor([[1., 0], [0, 0], [1, 1]]), reduction='sum') / 3
    assert torch.isclose(loss, ref)


def test_plain_bce_with_uncertain_labels():
    """The paper-literal loss (mmpretrain's sigmoid CrossEntropyLoss, whose
    weights are per sample) with RAP's uncertain labels: each label's loss
    weighted, reduced as mmpretrain does (sum / batch)."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    head = PARHead(num_classes=3, in_channels=4, loss=dict(
        type='CrossEntropyLoss', use_sigmoid=True, loss_weight=2.0))
    feats = torch.randn(2, 4)
    gt = [[1, 0, 1], [0, 1, 0]]
    ignore = [[False, True, False], [False, False, True]]
    loss = head.loss((feats, ), samples(gt, ignore))['loss']
    logits = head.fc(feats)
    each = F.binary_cross_entropy_with_logits(
        logits, torch.tensor(gt, dtype=torch.float), reduction='none')
    keep = 1 - torch.tensor(ignore, dtype=torch.float)
    torch.testing.assert_close(loss, 2.0 * (each * keep).sum() / 2)
    # no uncertain labels: mmpretrain's own reduction, unchanged
    plain = head.loss((feats, ), samples(gt))['loss']
    torch.testing.assert_close(plain, 2.0 * each.sum() / 2)
