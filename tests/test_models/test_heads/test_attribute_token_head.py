import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from clear_mm.models import AttributeTokenHead


def test_one_classifier_per_token():
    head = AttributeTokenHead(
        num_classes=3, in_channels=4,
        loss=dict(type='WeightedBCELoss', pos_ratio=[0.5, 0.5, 0.5]))
    head.init_weights()
    tokens = torch.randn(2, 3, 4, requires_grad=True)
    logits = head((torch.randn(2, 5, 4), tokens))
    expected = torch.stack([
        tokens[:, j] @ head.weight[j] + head.bias[j] for j in range(3)
    ], dim=1)
    torch.testing.assert_close(logits, expected)
    # attribute 1's logit depends on token 1 only
    logits[:, 1].sum().backward()
    assert tokens.grad[:, [0, 2]].abs().sum() == 0
    assert tokens.grad[:, 1].abs().sum() > 0


def test_sample_weights_scale_each_sample_loss():
    """ratio 0.5: WeightedBCE weights are all e^0.5, so the loss is
    e^0.5 * mean_i(w_i * sum_j bce_ij)."""
    head = AttributeTokenHead(
        num_classes=2, in_channels=3,
        loss=dict(type='WeightedBCELoss', pos_ratio=[0.5, 0.5]))
    head.init_weights()
    tokens = torch.randn(3, 2, 3)
    labels = torch.tensor([[1, 0], [0, 0], [1, 1]])
    samples = [DataSample().set_gt_score(y) for y in labels]
    w = torch.tensor([0.5, 1.0, 1.5])
    loss = head.loss(tokens, samples, sample_weight=w)['loss']
    bce = F.binary_cross_entropy_with_logits(
        head(tokens), labels.float(), reduction='none').sum(1)
    expected = (torch.exp(torch.tensor(0.5)) * w * bce).mean()
    torch.testing.assert_close(loss, expected)
    preds = head.predict(tokens)
    assert preds[0].pred_score.shape == (2, )
