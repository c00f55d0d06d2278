"""Faults a training or test run must survive or refuse: a process killed
while it saves, a diverging loss, a checkpoint that does not fit the model,
a resume without optimizer state."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from clear_mm.utils.io import atomic_write
from tests.utils import REPO, cli, python, run, small

CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')


def runner(tmp_path, epochs=1, **options):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({**small(tmp_path, epochs), **options})
    cfg.work_dir = str(tmp_path / 'work')
    return Runner.from_cfg(cfg)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    atomic_write(b'old', str(path))

    def crash(fd):
        raise OSError('disk gone')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(OSError, match='disk gone'):
        atomic_write(b'new' * 1000, str(path))
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left


def train_killed(tmp_path, work, hook, opts):
    """tools/train.py with a fault hook of tests/fault_hooks.py added to
    par_synthetic.py; the process must die by SIGKILL."""
    killing = tmp_path / 'kill.py'
    killing.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['clear_mm', 'tests.fault_hooks'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='DatasetMetaHook'), "
        f"dict(type='PrepareQueriesHook'), {hook}]\n")
    proc = python('tools/train.py', str(killing), '--work-dir', work, *opts,
                  env=dict(os.environ, PYTHONPATH=REPO))  # tests.fault_hooks
    assert proc.returncode == -9, proc.stderr[-2000:]


def test_kill_during_save_then_resume(tmp_path):
    """max_keep_ckpts=1: a SIGKILL with half of epoch 2's checkpoint
    written leaves that half in a temporary file only; epoch_1.pth is
    whole and loads, last_checkpoint still names it, and a resume from it
    finishes the run."""
    work = str(tmp_path / 'work')
    train_killed(tmp_path, work, "dict(type='KillMidWriteHook', epoch=2)",
                 cli(small(tmp_path, 2)))
    files = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert files == ['best_par_mA_epoch_1.pth', 'epoch_1.pth'], files
    partial = [f for f in os.listdir(work) if f.endswith('.tmp')]
    assert len(partial) == 1 and partial[0].startswith('.epoch_2.pth.')
    half = os.path.getsize(osp.join(work, partial[0]))
    whole = os.path.getsize(osp.join(work, 'epoch_1.pth'))
    assert 0.4 * whole < half < 0.6 * whole  # killed mid-write
    epoch_1 = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=False)
    assert epoch_1['meta']['epoch'] == 1 and epoch_1['state_dict']
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().endswith('epoch_1.pth')
    out = run('tools/train.py', CONFIG, '--work-dir', work, '--resume',
              *cli(small(tmp_path, 2)))
    assert 'resumed epoch: 1' in out
    files = sorted(f for f in os.listdir(work) if f.startswith('epoch_'))
    assert files == ['epoch_2.pth']


def test_resume_mid_epoch_is_bit_identical(tmp_path):
    """Killed in the middle of epoch 2 and resumed from epoch_1.pth, the run
    ends with the same weights, bit for bit, as an uninterrupted one (the
    random states of the epoch's start are restored)."""
    opts = cli(small(tmp_path, 2))
    straight = str(tmp_path / 'straight')
    run('tools/train.py', CONFIG, '--work-dir', straight, *opts)
    work = str(tmp_path / 'work')
    train_killed(tmp_path, work,
                 "dict(type='KillAtIterationHook', iteration=5)", opts)
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    out = run('tools/train.py', CONFIG, '--work-dir', work, '--resume',
              *opts)
    assert 'random states of the start of epoch 2 restored' in out
    a = torch.load(osp.join(straight, 'epoch_2.pth'), weights_only=False)
    b = torch.load(osp.join(work, 'epoch_2.pth'), weights_only=False)
    differ = [k for k, v in a['state_dict'].items()
              if not torch.equal(v, b['state_dict'][k])]
    assert not differ, f'{len(differ)} tensors differ, e.g. {differ[:3]}'


def test_resume_from_a_checkpoint_without_optimizer_state(tmp_path):
    work = str(tmp_path / 'work')
    run('tools/train.py', CONFIG, '--work-dir', work,
        *cli(small(tmp_path, 1)))
    best = osp.join(work, 'best_par_mA_epoch_1.pth')
    proc = python('tools/train.py', CONFIG, '--work-dir', work, '--resume',
                  best, *cli(small(tmp_path, 2)))
    assert proc.returncode != 0
    assert (f"Cannot resume from {best}: it has no ['optimizer', "
            "'param_schedulers'] state") in proc.stderr
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    out = run('tools/train.py', CONFIG, '--work-dir', work, '--resume',
              best, '--resume-without-state', *cli(small(tmp_path, 2)))
    assert 'optimizer and learning-rate schedule start afresh' in out
    assert osp.exists(osp.join(work, 'epoch_2.pth'))


def test_training_stops_at_the_first_non_finite_loss(tmp_path):
    r = runner(tmp_path, 1, **{
        'optim_wrapper.optimizer.lr': 1e6, 'param_scheduler': []})
    with pytest.raises(FloatingPointError) as info:
        r.train()
    message = str(info.value)
    assert 'Non-finite' in message and 'at iteration' in message
    assert 'learning rate' in message and 'loss=' in message
    assert not [f for f in os.listdir(r.work_dir) if f.endswith('.pth')]


def test_a_model_with_non_finite_weights_is_never_saved(tmp_path):
    r = runner(tmp_path, 1)
    r.train()  # a good epoch_1.pth
    good = torch.load(osp.join(r.work_dir, 'epoch_1.pth'),
                      weights_only=False)['state_dict']
    hook = next(h for h in r.hooks if type(h).__name__ ==
                'SafeCheckpointHook')
    with torch.no_grad():
        next(r.model.parameters()).fill_(float('nan'))
    with pytest.raises(RuntimeError, match='non-finite weights'):
        hook._save_checkpoint_with_step(r, 2, dict(epoch=2, iter=6))
    assert not osp.exists(osp.join(r.work_dir, 'epoch_2.pth'))
    kept = torch.load(osp.join(r.work_dir, 'epoch_1.pth'),
                      weights_only=False)['state_dict']
    assert all(torch.equal(good[k], kept[k]) for k in good)


def save_model(r, path, edit=None):
    state = r.model.state_dict()
    if edit:
        state = edit(dict(state))
    torch.save(dict(state_dict=state, meta=dict()), path)
    return str(path)


@pytest.mark.parametrize('case', ['fewer_classes', 'retrieval', 'renamed'])
def test_test_refuses_a_checkpoint_that_does_not_fit(tmp_path, case):
    r = runner(tmp_path)
    if case == 'fewer_classes':  # a 25-class checkpoint on 26 classes
        def edit(state):
            return {k: v[:25] if k.startswith('head.') else v
                    for k, v in state.items()}
        expected = 'of another shape.*head.fc.weight \\(25, 256\\) vs ' \
            '\\(26, 256\\)'
    elif case == 'retrieval':  # a retriever's checkpoint on a PAR config
        def edit(state):
            state = {f'par_model.{k}': v for k, v in state.items()}
            state['vis_adapter.layers.0.weight'] = torch.zeros(1)
            return state
        expected = 'missing from the checkpoint: backbone'
    else:
        def edit(state):
            return {k.replace('neck.', 'necks.'): v
                    for k, v in state.items()}
        expected = 'not in the model: necks'
    ckpt = save_model(r, tmp_path / 'other.pth', edit)
    cfg_opts = small(tmp_path, 1)
    proc = python('tools/test.py', CONFIG, ckpt, '--work-dir',
                  str(tmp_path / 'test'), *cli(cfg_opts))
    assert proc.returncode != 0
    assert f'The checkpoint {ckpt} does not fit the model of {CONFIG}' \
        in proc.stderr
    import re
    assert re.search(expected, proc.stderr), proc.stderr[-1500:]
    assert 'Test results' not in proc.stdout
    if case == 'fewer_classes':  # explicitly partial: loads, lists the rest
        out = run('tools/test.py', CONFIG, ckpt, '--partial-load',
                  '--work-dir', str(tmp_path / 'test'), *cli(cfg_opts))
        assert 'Partial load' in out and "'head.fc.weight'" in out
        assert 'Test results' in out


def test_test_needs_a_checkpoint_for_a_trained_model(tmp_path):
    proc = python('tools/test.py', CONFIG)
    assert proc.returncode != 0
    assert 'give the checkpoint to test' in proc.stderr
