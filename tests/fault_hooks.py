"""Hooks that inject faults into a training process (imported by the
configs the reliability tests write, through custom_imports)."""
import os
import signal

from mmengine.hooks import Hook

from clear_mm.registry import HOOKS


@HOOKS.register_module()
class KillDuringSaveHook(Hook):
    """SIGKILL the process when the checkpoint of ``epoch`` starts being
    saved (``before_save_checkpoint``: the checkpoint hook has started its
    save, nothing of the new file is on disk yet)."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint['meta'].get('epoch') == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class KillAtIterationHook(Hook):
    """SIGKILL the process after training iteration ``iteration``
    (1-based), i.e. in the middle of an epoch."""

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
