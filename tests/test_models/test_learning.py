"""The tiny CLEAR (ImageClassifier + CrossTransformer + CrossFusionNeck +
PARHead) really learns: held-out mA on a toy attribute task."""
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config

from clear_mm.evaluation import PARMetric
from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import fit_toy, toy_batch


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
    losses = fit_toy(model, 40, rng)
    model.eval()
    imgs, samples, labels = toy_batch(np.random.default_rng(1), 64)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples))
        preds = model(**data, mode='predict')
    scores = torch.stack([p.pred_score for p in preds]).numpy()
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert PARMetric.calculate(scores, labels)['mA'] > 0.9
