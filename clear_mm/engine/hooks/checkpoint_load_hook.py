import os.path as osp
import re

from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from clear_mm.registry import HOOKS
from clear_mm.utils.checkpoint import (describe_mismatch, local_path,
                                       state_dict_mismatch)


def _source(runner) -> str:
    path = runner.cfg.get('load_from')
    if not path and runner.cfg.get('resume'):
        path = find_latest_checkpoint(runner.work_dir)
    return local_path(path) if path else 'the checkpoint'


@HOOKS.register_module()
class CheckpointLoadHook(Hook):
    """Refuse a checkpoint that does not fit the model, before it is loaded.

    MMEngine loads ``load_from`` / ``--resume`` / ``tools/test.py``'s
    checkpoint with ``strict=False`` and only logs what did not load, so a
    checkpoint of another config (another attribute count, a retrieval
    checkpoint on a PAR config) is evaluated at chance level. This hook
    compares the checkpoint's state dict with the model's (keys and shapes)
    and raises an error naming the config, the checkpoint and the first
    mismatching keys. With ``partial_load=True`` in the config (the tools'
    ``--partial-load``) it loads what fits instead, drops the tensors of
    another shape, and logs every key that was not loaded.

    When resuming, the checkpoint must also hold the optimizer and
    parameter-scheduler states (a ``best_*.pth`` or a converted checkpoint
    has none); ``resume_without_state=True`` (``--resume-without-state``)
    resumes anyway with fresh ones.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        path = _source(runner)
        config = getattr(runner.cfg, 'filename', None) or 'the config'
        if getattr(runner, '_resume', False):
            self._check_resumable(runner, checkpoint, path)
        model = runner.model
        # MMEngine loads into what a DDP or TTA wrapper holds
        if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        state = checkpoint.get('state_dict', checkpoint)
        # the key revision Runner.load_checkpoint applies (DDP's prefix)
        revised = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
        mismatch = state_dict_mismatch(model.state_dict(), revised)
        if not any(mismatch.values()):
            return
        detail = describe_mismatch(mismatch)
        if not runner.cfg.get('partial_load', False):
            raise RuntimeError(
                f'The checkpoint {path} does not fit the model of {config}: '
                f'{detail}. It was trained with another config (model, '
                'attribute count or task). Use the checkpoint of this '
                'config, or pass --partial-load (partial_load=True) to load '
                'only the tensors that fit.')
        for key, _, _ in mismatch['shape']:
            for name in (key, f'module.{key}'):
                state.pop(name, None)
        not_loaded = mismatch['missing'] + [k for k, _, _ in mismatch['shape']]
        runner.logger.warning(
            f'Partial load of {path} into {osp.basename(str(config))}: '
            f'{detail}. Not loaded (kept as initialised): '
            f'{not_loaded}; ignored from the checkpoint: '
            f'{mismatch["unexpected"]}.')

    @staticmethod
    def _check_resumable(runner, checkpoint: dict, path: str) -> None:
        needed = ['meta', 'optimizer', 'message_hub']
        if runner.param_schedulers:
            needed.append('param_schedulers')
        missing = [k for k in needed if k not in checkpoint]
        if not missing:
            return
        if 'meta' in missing or 'message_hub' in missing or not \
                runner.cfg.get('resume_without_state', False):
            raise RuntimeError(
                f'Cannot resume from {path}: it has no {missing} state (a '
                'best_*.pth, a converted or a weights-only checkpoint). '
                'Resume from the last epoch_*.pth / iter_*.pth, start from '
                'its weights with load_from instead of --resume, or pass '
                '--resume-without-state to resume with a fresh optimizer '
                'and schedule.')
        runner.logger.warning(
            f'Resuming from {path} without its {missing} state: the '
            'optimizer and learning-rate schedule start afresh.')
