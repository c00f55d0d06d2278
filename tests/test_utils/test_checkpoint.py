import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from clear_mm.utils import SAFE_SCHEME, TRUST_ENV, trust_checkpoint

# MMEngine's CheckpointLoader with our scheme, as our tools register it
# (restored after each test)
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
    # ...MMEngine's loader, through the scheme our tools give load_from,
    # accepts it
    ckpt = _load_checkpoint(SAFE_SCHEME + path, map_location='cpu')
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
        _load_checkpoint(SAFE_SCHEME + path, map_location='cpu')
    msg = str(e.value)
    assert 'Arbitrary' in msg and '--trust-checkpoint' in msg
    assert osp.basename(path) in msg
    trust_checkpoint(path)
    assert isinstance(_load_checkpoint(SAFE_SCHEME + path)['extra'],
                      Arbitrary)


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
        _load_checkpoint(SAFE_SCHEME + path)


def test_tools_point_load_from_at_our_scheme(tmp_path):
    """use_safe_checkpoint_loading(cfg): a local load_from (or a plain
    --resume's latest checkpoint) goes through our scheme, a URL stays
    MMEngine's, and MMEngine's own local loader is left as it was."""
    from mmengine.config import Config
    from mmengine.runner.checkpoint import CheckpointLoader

    from clear_mm.utils import use_safe_checkpoint_loading
    host = CheckpointLoader._schemes['']
    cfg = Config(dict(load_from='work/epoch_1.pth', work_dir=str(tmp_path)))
    use_safe_checkpoint_loading(cfg)
    assert cfg.load_from == SAFE_SCHEME + 'work/epoch_1.pth'
    assert CheckpointLoader._schemes[''] is host
    cfg = Config(dict(load_from='https://x/y.pth', work_dir=str(tmp_path)))
    use_safe_checkpoint_loading(cfg)
    assert cfg.load_from == 'https://x/y.pth'
    (tmp_path / 'epoch_3.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    cfg = Config(dict(load_from=None, resume=True, work_dir=str(tmp_path)))
    use_safe_checkpoint_loading(cfg)
    assert cfg.load_from == SAFE_SCHEME + str(tmp_path / 'epoch_3.pth')
