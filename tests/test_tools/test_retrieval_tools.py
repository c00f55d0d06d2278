"""The retrieval stage end to end: tools/train.py (feature cache),
tools/test.py and tools/analysis_tools/attribute_search.py on a tiny run,
with a random 1-layer BERT as the language model."""
import json
import os
import os.path as osp
import re

import torch
from mmengine.config import Config

from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import cli, python, run, small

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
RET_CONFIG = osp.join(REPO, 'configs', 'clear', 'ret_synthetic.py')
# a training split that cannot be built
NO_TRAIN_SPLIT = {'train_dataloader.dataset.type': 'NoSuchDataset'}


def test_retrieval_train_test_search(tmp_path, tiny_bert):
    torch.manual_seed(0)
    par = MODELS.build(Config.fromfile(PAR_CONFIG).model)
    par_ckpt = str(tmp_path / 'par.pth')
    torch.save({'state_dict': par.state_dict()}, par_ckpt)
    opts = small(tmp_path, 2)
    opts.update({
        'model.par_checkpoint': par_ckpt,
        'model.language_model.name_or_path': tiny_bert,
        'model.language_model.cache_dir': str(tmp_path / 'lm'),
        'model.hidden_channels': 32,
    })
    work = str(tmp_path / 'work')
    out = run('tools/train.py', RET_CONFIG, '--work-dir', work, *cli(opts))
    assert 'RetrievalFeatureCacheHook: 24 training features' in out
    assert 'retrieval/mAP' in out
    best = [f for f in os.listdir(work) if f.startswith('best_retrieval')]
    assert len(best) == 1
    ckpt = osp.join(work, best[0])
    # f_par inside the retrieval checkpoint is the recognition checkpoint's
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    for key, value in par.state_dict().items():
        torch.testing.assert_close(state['state_dict'][f'par_model.{key}'],
                                   value)

    # the checkpoint carries schema and proxies: no training split needed.
    # Tested on the validation split, it gives the validation numbers the
    # training log recorded for it.
    logged = re.findall(r'The best checkpoint with ([\d.]+) retrieval/mAP',
                        out)[-1]
    test_opts = dict(opts, **NO_TRAIN_SPLIT)
    test_opts['test_dataloader.dataset.split'] = 'val'
    out = run('tools/test.py', RET_CONFIG, ckpt, '--work-dir', work, '--out',
              osp.join(work, 'metrics.json'), *cli(test_opts))
    metrics = json.load(open(osp.join(work, 'metrics.json')))
    # all queries, and those seen / unseen in training apart (a part
    # without queries reports its count only)
    parts = {
        f'retrieval/{part}/{key}' for part in ('seen', 'unseen')
        for key in ('R1', 'R5', 'R10', 'mAP')
        if metrics[f'retrieval/{part}/queries']
    }
    assert set(metrics) == {
        'retrieval/R1', 'retrieval/R5', 'retrieval/R10', 'retrieval/mAP',
        'retrieval/seen/queries', 'retrieval/unseen/queries'
    } | parts
    assert metrics['retrieval/unseen/queries'] > 0
    assert f'{metrics["retrieval/mAP"]:.4f}' == logged

    # the partial-query protocol through tools/test.py (DatasetMetaHook
    # hands PartialQueryMetric the model's scorer)
    partial_config = RET_CONFIG.replace('.py', '_partial.py')
    run('tools/test.py', partial_config, ckpt, '--work-dir', work, '--out',
        osp.join(work, 'partial.json'), *cli(test_opts))
    partial = json.load(open(osp.join(work, 'partial.json')))
    for k in range(4):
        assert 0 < partial[f'partial/k{k}/mAP'] <= 100
    assert partial['partial/seen/queries'] + partial.get(
        'partial/unseen/queries', 0) == partial['partial/k0/queries']

    search_opts = {
        k: v for k, v in opts.items()
        if k.startswith(('model.', 'test_dataloader.'))
    }
    picture = str(tmp_path / 'examples.png')
    out = run('tools/analysis_tools/attribute_search.py', RET_CONFIG, ckpt,
              '--query', 'Female, Backpack, LongSleeve', '--num-random', '2',
              '--topk', '3', '--out', picture, *cli(search_opts))
    assert out.count('pseudo-description: This is a photo of') == 3
    assert osp.getsize(picture) > 1000
    # an attribute the dataset does not have is named in the error
    proc = python('tools/analysis_tools/attribute_search.py',
                  RET_CONFIG, ckpt, '--query', 'Female, Wings',
                  *cli(search_opts), timeout=300)
    assert proc.returncode != 0
    assert "no attribute 'Wings'" in proc.stderr
