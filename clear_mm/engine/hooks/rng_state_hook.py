import os.path as osp
import random

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from clear_mm.registry import HOOKS
from clear_mm.utils.io import atomic_torch_save

STATE_FILE = 'rng_state.pt'  # not a checkpoint: no .pth


def get_rng_states() -> dict:
    """Python's, numpy's and torch's global random states (not consumed)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    states = dict(
        python=dict(version=version, state=list(internal),
                    gauss_next=gauss_next),
        numpy=dict(kind=kind, keys=torch.from_numpy(keys.astype(np.int64)),
                   pos=int(pos), has_gauss=int(has_gauss),
                   gauss=float(gauss)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict) -> None:
    p = states['python']
    random.setstate((p['version'], tuple(p['state']), p['gauss_next']))
    n = states['numpy']
    np.random.set_state((n['kind'], n['keys'].numpy().astype(np.uint32),
                         n['pos'], n['has_gauss'], n['gauss']))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Random states for exact resumes of epoch-based training.

    At the start of every training epoch the global random states (Python,
    numpy, torch, CUDA) are written to ``<work_dir>/rng_state.pt`` with the
    epoch, atomically. A run resumed from ``epoch_N.pth`` restores the
    states recorded at the start of epoch N + 1, at the same point of the
    loop, so it draws the same augmentations, dropout masks and loader
    seeds as the uninterrupted run (the sampler's order already depends on
    the seed and the epoch only). Without a record for that epoch the run
    goes on with a warning. Reading the states consumes nothing, so runs
    that are not resumed are unchanged.

    Not covered: the random streams inside persistent data-loader workers
    (``persistent_workers=True`` with ``num_workers > 0``), which continue
    across epochs in the workers' processes; resume with
    ``persistent_workers=False`` (MMEngine reseeds fresh workers the same
    way every epoch) or ``num_workers=0`` for a bit-identical run.
    """

    priority = 'LOWEST'  # the last before_train_epoch: right before data

    def __init__(self) -> None:
        self._resumed = False

    def before_train(self, runner) -> None:
        # a resume found a checkpoint (the loop starts past epoch 0)
        self._resumed = bool(getattr(runner, '_resume', False)) and \
            runner.epoch > 0

    def before_train_epoch(self, runner) -> None:
        path = osp.join(runner.work_dir, STATE_FILE)
        if self._resumed:
            self._resumed = False
            self._restore(runner, path)
            return
        if not is_main_process():
            return
        atomic_torch_save(
            dict(epoch=runner.epoch, states=get_rng_states()), path)

    @staticmethod
    def _restore(runner, path: str) -> None:
        record = None
        if osp.exists(path):
            record = torch.load(path, map_location='cpu', weights_only=True)
        if record is None or record.get('epoch') != runner.epoch:
            found = None if record is None else record.get('epoch')
            runner.logger.warning(
                f'RNGStateHook: no random states recorded for the start of '
                f'epoch {runner.epoch + 1} ({path}: '
                f'{"missing" if record is None else f"epoch {found + 1}"}); '
                'the resumed run draws other random numbers than an '
                'uninterrupted one.')
            return
        set_rng_states(record['states'])
        runner.logger.info(
            f'RNGStateHook: random states of the start of epoch '
            f'{runner.epoch + 1} restored.')
        loader = runner.cfg.get('train_dataloader') or {}
        if loader.get('num_workers', 0) and loader.get('persistent_workers'):
            runner.logger.warning(
                'RNGStateHook: the training loader keeps persistent '
                'workers, whose random streams cannot be restored: the '
                'resumed run draws other augmentations than an '
                'uninterrupted one (set persistent_workers=False for a '
                'bit-identical resume).')
