"""A trained checkpoint carries what its model needs: tools/test.py of an
ASMR and a multi-task checkpoint runs when the training split cannot be
built at all, and gives the numbers of a run where it can. (The CLEAR
retrieval and Cerberus checkpoints are tested the same way in
test_retrieval_tools.py and test_cerberus_tools.py.)"""
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import cli, run, small

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
CONFIGS = dict(
    asmr=osp.join(REPO, 'configs', 'asmr', 'asmr_synthetic.py'),
    multitask=osp.join(REPO, 'configs', 'multitask', 'mtt_synthetic.py'))


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_test_without_training_split(tmp_path, name):
    config = CONFIGS[name]
    opts = small(tmp_path, 1)
    if name == 'asmr':
        torch.manual_seed(0)
        par = MODELS.build(Config.fromfile(PAR_CONFIG).model)
        par_ckpt = str(tmp_path / 'par.pth')
        torch.save({'state_dict': par.state_dict()}, par_ckpt)
        opts['model.par_checkpoint'] = par_ckpt
    else:
        opts['param_scheduler.0.end'] = 2
    work = str(tmp_path / 'work')
    run('tools/train.py', config, '--work-dir', work, *cli(opts))
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.exists(ckpt), os.listdir(work)
    metrics = {}
    for case, extra in (('with', {}), ('without', {
            'train_dataloader.dataset.type': 'NoSuchDataset'})):
        out = osp.join(work, f'{case}.json')
        run('tools/test.py', config, ckpt, '--work-dir', work, '--out', out,
            *cli(dict(opts, **extra)))
        metrics[case] = json.load(open(out))
    assert 'retrieval/mAP' in metrics['without']
    assert metrics['without'] == metrics['with']
