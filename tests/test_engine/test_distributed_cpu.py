"""tools/dist_train.sh and dist_test.sh with 2 CPU processes (gloo): a few
iterations of the tiny models train, and the 2-process test metrics of a
recognition and a retrieval checkpoint equal the single-process ones."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from tests.utils import REPO, cli, run, small

PAR = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
RET = osp.join(REPO, 'configs', 'clear', 'ret_synthetic.py')

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason='the CPU (gloo) path is tested')


def dist(script, *args, port):
    env = dict(os.environ, PORT=str(port),
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    proc = subprocess.run(['bash', f'tools/{script}', *args], cwd=REPO,
                          env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_two_cpu_processes_train_and_test_like_one(tmp_path, tiny_gpt):
    opts = small(tmp_path, 1)
    work = str(tmp_path / 'par')
    dist('dist_train.sh', PAR, '2', '--work-dir', work, *cli(opts),
         port=29611)
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.exists(ckpt)
    # 2 processes x 8 images per step: 24 training images, 2 iterations
    log = open(next(
        osp.join(dp, f) for dp, _, fs in os.walk(work) for f in fs
        if f.endswith('.log'))).read()
    assert 'Epoch(train) [1][2/2]' in log, log[-2000:]

    metrics = {}
    for procs in (1, 2):
        dump = str(tmp_path / f'par_{procs}.json')
        if procs == 1:
            run('tools/test.py', PAR, ckpt, '--work-dir', work, '--out',
                dump, *cli(opts))
        else:
            dist('dist_test.sh', PAR, ckpt, '2', '--work-dir', work,
                 '--out', dump, *cli(opts), port=29612)
        metrics[procs] = json.load(open(dump))
    assert metrics[1] == metrics[2]

    # the retrieval stage on that checkpoint (feature cache, text queries)
    ret_opts = {**opts, 'model.par_checkpoint': ckpt,
                'model.language_model.name_or_path': tiny_gpt,
                'model.language_model.num_tokens': 8,
                'model.language_model.cache_dir': str(tmp_path / 'lm'),
                'train_dataloader.batch_size': 8}
    ret_work = str(tmp_path / 'ret')
    dist('dist_train.sh', RET, '2', '--work-dir', ret_work, *cli(ret_opts),
         port=29613)
    ret_ckpt = osp.join(ret_work, 'epoch_1.pth')
    for procs in (1, 2):
        dump = str(tmp_path / f'ret_{procs}.json')
        if procs == 1:
            run('tools/test.py', RET, ret_ckpt, '--work-dir', ret_work,
                '--out', dump, *cli(ret_opts))
        else:
            dist('dist_test.sh', RET, ret_ckpt, '2', '--work-dir', ret_work,
                 '--out', dump, *cli(ret_opts), port=29614)
        metrics[f'ret{procs}'] = json.load(open(dump))
    # all queries, and those seen / unseen in training apart
    # (a part without queries reports its count only)
    ret = metrics['ret1']
    assert set(ret) == {
        'retrieval/R1', 'retrieval/R5', 'retrieval/R10', 'retrieval/mAP',
        'retrieval/seen/queries', 'retrieval/unseen/queries'
    } | {f'retrieval/{part}/{key}' for part in ('seen', 'unseen')
         for key in ('R1', 'R5', 'R10', 'mAP')
         if ret[f'retrieval/{part}/queries']}
    assert metrics['ret1'] == metrics['ret2']
