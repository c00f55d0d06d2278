"""Checkpoints that survive a crash, and only of a model with finite weights.

MMEngine's ``CheckpointHook`` removes the outdated checkpoint *before* it
writes the new one and writes the file in place, so with
``max_keep_ckpts=1`` a process killed during the save leaves nothing to
``--resume`` (and a half-written file). :class:`SafeCheckpointHook` writes
every checkpoint to a temporary file in the same folder, flushes it to disk,
renames it into place, and only then removes what it replaces (the last and
the best checkpoint alike). It also refuses to save a model whose weights
are not finite (docs/method_notes.md, "Reliability").
"""
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper

from clear_mm.registry import HOOKS
from clear_mm.utils.io import atomic_write


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose ``put`` is :func:`atomic_write`
    (registered as ``backend='atomic_local'``)."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), str(filepath))


register_backend('atomic_local', AtomicLocalBackend, force=True)


def non_finite_parameters(model: torch.nn.Module, limit: int = 5) -> list:
    """Names of (at most ``limit``) parameters or buffers with NaN/inf."""
    if is_model_wrapper(model):
        model = model.module
    bad = []
    for name, tensor in model.state_dict().items():
        if (isinstance(tensor, torch.Tensor) and tensor.is_floating_point()
                and not torch.isfinite(tensor).all()):
            bad.append(name)
            if len(bad) == limit:
                break
    return bad


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` that never loses the resumable
    state and never writes non-finite weights.

    - Files are written atomically (:class:`AtomicLocalBackend`) when the
      checkpoints go to a local folder, the ``last_checkpoint`` pointer too.
    - The new checkpoint is written before the outdated ones (beyond
      ``max_keep_ckpts``) and the previous best are removed.
    - A model with NaN/inf weights stops the run with the names of the
      tensors; nothing is written.

    Takes the arguments of ``CheckpointHook``.
    """

    def __init__(self, *args, **kwargs):
        out_dir = kwargs.get('out_dir')
        local = out_dir is None or '://' not in str(out_dir)
        if (local and kwargs.get('backend_args') is None
                and kwargs.get('file_client_args') is None):
            kwargs['backend_args'] = dict(backend='atomic_local')
        super().__init__(*args, **kwargs)

    # -- helpers -------------------------------------------------------
    def _check_finite(self, runner) -> None:
        bad = non_finite_parameters(runner.model)
        if bad:
            raise RuntimeError(
                f'Not saving a checkpoint at epoch {runner.epoch}, iteration '
                f'{runner.iter}: the model has non-finite weights ({bad}). '
                'Training diverged; lower the learning rate or clip the '
                'gradients (optim_wrapper.clip_grad), and resume from the '
                'last checkpoint.')

    def _remove(self, path: Optional[str]) -> None:
        if not path or not is_main_process():
            return
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed saves folders
            self.file_backend.rmtree(path)

    # -- saving --------------------------------------------------------
    def _save_checkpoint_with_step(self, runner, step, meta):
        self._check_finite(runner)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(
            str(self.last_ckpt).encode(),
            osp.join(runner.work_dir, 'last_checkpoint'))
        # only now that the new one is on disk
        for old in outdated:
            self._remove(
                self.file_backend.join_path(self.out_dir,
                                            self.filename_tmpl.format(old)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        self._check_finite(runner)
        # MMEngine removes the previous best before writing the new one:
        # hide it from the parent, remove it after.
        single = len(self.key_indicators) == 1
        if single:
            previous = {None: getattr(self, 'best_ckpt_path', None)}
            self.best_ckpt_path = None
        else:
            previous = dict(self.best_ckpt_path_dict)
            self.best_ckpt_path_dict = {k: None for k in previous}
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            current = ({None: self.best_ckpt_path} if single else
                       self.best_ckpt_path_dict)
            replaced = []
            for key, old in previous.items():
                if current.get(key) is None:  # not improved: keep the old
                    current[key] = old
                elif old and old != current[key]:
                    replaced.append(old)
            if single:
                self.best_ckpt_path = current[None]
        for path in replaced:
            self._remove(path)
            runner.logger.info(
                f'The previous best checkpoint {path} is removed')
