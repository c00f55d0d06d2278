"""The tiny CLEAR (ImageClassifier + CrossTransformer + CrossFusionNeck +
PARHead) really learns: held-out mA on a toy attribute task."""
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from clear_mm.evaluation import PARMetric
from tests.conftest import REPO


def toy_batch(rng, n):
    """Three visible attributes on noisy 128x64 images."""
    labels = (rng.random((n, 3)) < [0.5, 0.3, 0.2]).astype(np.int64)
    imgs = rng.normal(120, 30, (n, 3, 128, 64))
    imgs[labels[:, 0] == 1, 0, 10:30, 20:44] = 250  # red square on top
    imgs[labels[:, 1] == 1, 2, 60:70, :] = 250  # blue band in the middle
    imgs[labels[:, 2] == 1, :, 100:120, 8:24] = 10  # dark patch low left
    samples = [DataSample().set_gt_score(torch.tensor(y)) for y in labels]
    return torch.tensor(imgs, dtype=torch.float32), samples, labels


def fit_toy(model, steps, rng, lr=1e-3, warmup=20):
    """AdamW on ``toy_batch`` batches of 16 with a linear warm-up; the
    summed losses of every step."""
    optim = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        for group in optim.param_groups:
            group['lr'] = lr * min(1, (step + 1) / warmup)
        imgs, samples, _ = toy_batch(rng, 16)
        data = model.data_preprocessor(
            dict(inputs=imgs, data_samples=samples), training=True)
        loss = sum(model(**data, mode='loss').values())
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    return losses


def test_tiny_clear_learns():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'models', 'clear_tiny.py'))
    cfg.model.head.num_classes = 3
    cfg.model.head.loss.pos_ratio = [0.5, 0.3, 0.2]
    cfg.model.data_preprocessor = dict(
        type='ClsDataPreprocessor', mean=[120] * 3, std=[30] * 3)
    model = MODELS.build(cfg.model)
    model.init_weights()
    losses = fit_toy(model, 80, rng)
    model.eval()
    imgs, samples, labels = toy_batch(np.random.default_rng(1), 64)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples))
        preds = model(**data, mode='predict')
    scores = torch.stack([p.pred_score for p in preds]).numpy()
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert PARMetric.calculate(scores, labels)['mA'] > 0.9
