"""tools/train.py, --resume and tools/test.py end to end on a tiny run."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from tests.conftest import REPO
from tests.utils import cli, run, small

CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')


def test_train_resume_test(tmp_path):
    work = str(tmp_path / 'work')
    run('tools/train.py', CONFIG, '--work-dir', work,
        *cli(small(tmp_path, 1)))
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    out = run('tools/train.py', CONFIG, '--work-dir', work, '--resume',
              *cli(small(tmp_path, 2)))
    assert 'resumed epoch: 1' in out
    assert osp.exists(osp.join(work, 'epoch_2.pth'))
    best = [f for f in os.listdir(work) if f.startswith('best')]
    assert best, 'no best checkpoint'
    out = run('tools/test.py', CONFIG, osp.join(work, best[0]), '--work-dir',
              work, '--out', osp.join(work, 'metrics.json'),
              *cli(small(tmp_path, 2)))
    metrics = json.load(open(osp.join(work, 'metrics.json')))
    assert set(metrics) == {
        'par/mA', 'par/accuracy', 'par/precision', 'par/recall', 'par/f1'
    }
    assert 'Test results:' in out and 'par/mA' in out


def test_num_classes_mismatch_fails_before_training(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({**small(tmp_path, 1), 'model.head.num_classes': 10})
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match='predicts 10 attributes.*has 26'):
        runner.train()
    assert not osp.exists(osp.join(cfg.work_dir, 'epoch_1.pth'))
