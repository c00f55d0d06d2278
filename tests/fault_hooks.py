"""Hooks that inject faults into a training process (imported by the
configs the reliability tests write, through custom_imports)."""
import os
import signal

from mmengine.hooks import Hook

from clear_mm.registry import HOOKS


@HOOKS.register_module()
class KillMidWriteHook(Hook):
    """SIGKILL the process in the middle of writing the checkpoint of
    ``epoch``: the first half of its bytes is in the temporary file (written
    and fsync'ed), the second half never comes. Done by wrapping
    ``os.fdopen`` in this doomed process once that save has started."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint['meta'].get('epoch') != self.epoch:
            return
        name = f'epoch_{self.epoch}.pth'
        real_fdopen = os.fdopen

        class HalfThenKill:

            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[:len(data) // 2])
                self.f.flush()
                os.fsync(self.f.fileno())
                os.kill(os.getpid(), signal.SIGKILL)

        def fdopen(fd, *args, **kwargs):
            f = real_fdopen(fd, *args, **kwargs)
            target = os.readlink(f'/proc/self/fd/{fd}')
            if os.path.basename(target).startswith(f'.{name}.'):
                return HalfThenKill(f)
            return f

        os.fdopen = fdopen


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
