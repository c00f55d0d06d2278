"""Cerberus end to end on a tiny identity-mode synthetic set:
tools/train.py (P x K sampler, SIDs from the data) and tools/test.py
(reID, APS and PAR metrics from the one model)."""
import json
import os
import os.path as osp
import re

import numpy as np
from mmengine.config import Config

from clear_mm.datasets import IdentityBalancedSampler
from clear_mm.registry import DATASETS
from clear_mm.structures.semantic_ids import SemanticIDs
from tests.conftest import REPO
from tests.utils import cli, python, run

CONFIG = osp.join(REPO, 'configs', 'cerberus', 'cerberus_synthetic.py')
DATA = dict(num_train=32, num_val=8, num_test=24, seed=3,
            identities=dict(images_per_id=4, num_cameras=3))


def tiny_opts(tmp_path):
    opts = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({
            f'{loader}.num_workers': 0,
            f'{loader}.dataset.data_root': f'{tmp_path}/data',
            **{f'{loader}.dataset.{k}': v for k, v in DATA.items()
               if k != 'identities'},
        })
    opts.update({'train_dataloader.batch_size': 16,  # 4 persons x 4
                 'val_dataloader.batch_size': 8,
                 'test_dataloader.batch_size': 8,
                 'train_cfg.max_iters': 4, 'train_cfg.val_interval': 4,
                 'default_hooks.checkpoint.interval': 4,
                 'param_scheduler.0.end': 2,
                 'model.embed_dims': 16})
    return opts


def test_identity_sampler_batches(tmp_path):
    cfg = Config.fromfile(CONFIG)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=f'{tmp_path}/data', **DATA)
    ds = DATASETS.build(ds_cfg)
    sampler = IdentityBalancedSampler(ds, num_instances=4, seed=0)
    indices = list(sampler)
    assert len(indices) == len(sampler) == 32  # 8 persons x 4
    pids = [ds.get_data_info(i)['person_id'] for i in indices]
    for k in range(0, 32, 4):  # each run of 4 is one person
        assert len(set(pids[k:k + 4])) == 1
    assert len(set(pids)) == 8
    sampler.set_epoch(1)
    assert list(sampler) != indices


def test_cerberus_train_test(tmp_path):
    opts = tiny_opts(tmp_path)
    # the model's sizes follow the data: SIDs and persons of the train split
    cfg = Config.fromfile(CONFIG)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=f'{tmp_path}/data', **DATA)
    ds = DATASETS.build(ds_cfg)
    sids = SemanticIDs(ds.metainfo['attributes'], ds.metainfo['sid_groups'],
                       ds.get_attribute_matrix())
    opts['model.num_sids'] = str(sids.num_sids).replace(' ', '')
    opts['model.num_ids'] = 8
    work = str(tmp_path / 'work')
    out = run('tools/train.py', CONFIG, '--work-dir', work, *cli(opts))
    assert f'Cerberus: {sum(sids.num_sids)} SIDs' in out
    assert 'reid/mAP' in out and 'aps/mAP' in out
    logged = re.findall(r'The best checkpoint with ([\d.]+) reid/mAP', out)[-1]
    ckpt = [f for f in os.listdir(work) if f.startswith('best_reid')]
    assert ckpt
    # the checkpoint carries the SIDs: the training split is not needed
    out = run('tools/test.py', CONFIG, osp.join(work, ckpt[0]),
              '--work-dir', work, '--out', osp.join(work, 'metrics.json'),
              *cli(dict(opts, **{'train_dataloader.dataset.type':
                                 'NoSuchDataset'})))
    metrics = json.load(open(osp.join(work, 'metrics.json')))
    assert {'reid/R1', 'reid/mAP', 'aps/R1', 'aps/mAP', 'par/mA'} <= set(
        metrics)
    # the test split is the validation split: the logged numbers come back
    assert f'{metrics["reid/mAP"]:.4f}' == logged
    # 6 test persons: 6 queries, 18 gallery images
    assert 'ReID: 6 queries' in out
    # wrong sizes are named before training starts
    opts['model.num_ids'] = 7
    proc = python('tools/train.py', CONFIG,
                  '--work-dir', work + '2', *cli(opts))
    assert proc.returncode != 0 and 'model.num_ids=8' in proc.stderr
    opts['model.num_ids'] = 8
    opts['train_dataloader.batch_size'] = 10  # not a multiple of 4
    proc = python('tools/train.py', CONFIG,
                  '--work-dir', work + '3', *cli(opts))
    assert proc.returncode != 0 and 'not a multiple' in proc.stderr
    assert np.isfinite(metrics['reid/mAP'])
