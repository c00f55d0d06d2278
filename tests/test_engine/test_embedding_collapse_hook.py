"""EmbeddingCollapseHook: the epoch mean of the logged batch cosine, and a
warning that names the epoch when the embeddings have collapsed."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from clear_mm.engine.hooks import EmbeddingCollapseHook


class ListHandler(logging.Handler):

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def runner_stub(epoch):
    logger = logging.getLogger(f'collapse_hook_test_{epoch}')
    handler = ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    hub = MessageHub.get_instance(f'collapse_hook_test_{epoch}')
    return SimpleNamespace(epoch=epoch, logger=logger,
                           message_hub=hub), handler


@pytest.mark.parametrize('values,warned', [((0.1, -0.05, 0.3), False),
                                           ((0.97, 0.99, 0.95), True)])
def test_epoch_mean_and_warning(values, warned):
    hook = EmbeddingCollapseHook(warn_above=0.9)
    runner, handler = runner_stub(epoch=2 if warned else 4)
    hook.before_train_epoch(runner)
    for i, v in enumerate(values):
        hook.after_train_iter(
            runner, i, outputs=dict(loss=torch.tensor(1.0),
                                    image_cos=torch.tensor(v)))
    hook.after_train_epoch(runner)
    mean = sum(values) / len(values)
    assert runner.message_hub.get_scalar(
        'train/image_cos_epoch').current() == pytest.approx(mean)
    warnings = [r.getMessage() for r in handler.records
                if r.levelno == logging.WARNING]
    assert bool(warnings) == warned
    if warned:  # 1-based: the loop has not counted the epoch yet
        assert 'Epoch 3' in warnings[0] and 'collapsed' in warnings[0]
    # the next epoch starts from nothing
    hook.before_train_epoch(runner)
    assert hook._values == []


def test_missing_key_is_reported():
    hook = EmbeddingCollapseHook()
    runner, handler = runner_stub(epoch=0)
    hook.before_train_epoch(runner)
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(1.0)))
    hook.after_train_epoch(runner)
    assert any("no 'image_cos'" in r.getMessage() for r in handler.records)


def test_threshold_must_be_a_cosine():
    with pytest.raises(ValueError, match=r'in \[-1, 1\]'):
        EmbeddingCollapseHook(warn_above=1.5)
