import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from clear_mm.utils import TRUST_ENV, trust_checkpoint

# MMEngine's CheckpointLoader as our tools set it up (restored after each)
pytestmark = pytest.mark.usefixtures('safe_checkpoint_loading')


class Arbitrary:
    """Not something an MMEngine checkpoint holds."""


def mmengine_like_checkpoint(path):
    hub = MessageHub('ckpt_test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    torch.save(
        dict(
            meta=dict(epoch=1, seed=0, dataset_meta=dict(pos_ratio=[0.1])),
            state_dict=dict(w=torch.ones(2)),
            message_hub=hub.state_dict(),
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3)])), path)


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    mmengine_like_checkpoint(path)
    # plain torch.load (weights_only=True by default) refuses it...
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    # ...mmengine's loader, as our tools set it up, accepts it
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert ckpt['meta']['epoch'] == 1
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert buffer.current() == 0.5


def test_arbitrary_objects_are_refused_until_trusted(tmp_path, monkeypatch):
    # recorded as unset, so the variable trust_checkpoint sets is
    # removed after the test
    monkeypatch.setenv(TRUST_ENV, '')
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, extra=Arbitrary()), path)
    with pytest.raises(pickle.UnpicklingError) as e:
        _load_checkpoint(path, map_location='cpu')
    msg = str(e.value)
    assert 'Arbitrary' in msg and '--trust-checkpoint' in msg
    assert osp.basename(path) in msg
    trust_checkpoint(path)
    assert isinstance(_load_checkpoint(path)['extra'], Arbitrary)


class ReachesAttribute:
    """Pickles as getattr(HistoryBuffer, '__init__'): not a statistic."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_is_restricted_to_statistics(tmp_path, monkeypatch):
    # recorded as unset, so the variable trust_checkpoint sets is
    # removed after the test
    monkeypatch.setenv(TRUST_ENV, '')
    path = str(tmp_path / 'attr.pth')
    torch.save(dict(x=ReachesAttribute()), path)
    with pytest.raises(pickle.UnpicklingError, match='not allowed'):
        _load_checkpoint(path)
