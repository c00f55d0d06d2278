import math
from typing import Optional

from mmengine.hooks import Hook

from clear_mm.registry import HOOKS


@HOOKS.register_module()
class FiniteCheckHook(Hook):
    """Stop training at the first non-finite loss or gradient norm.

    Checked after every training iteration (a few scalars): the loss terms
    the model returns and, when gradients are clipped
    (``optim_wrapper.clip_grad``), the gradient norm. The error names the
    iteration, every loss term and the learning rate. Runs before the
    checkpoint hook, so the diverged weights are never saved
    (:class:`SafeCheckpointHook` also refuses non-finite weights).
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        terms = {
            k: float(v.detach()) if hasattr(v, 'detach') else float(v)
            for k, v in (outputs or {}).items()
        }
        grad_norm = None
        hub = runner.message_hub
        if 'train/grad_norm' in hub.log_scalars:
            # written by the optimizer wrapper at every clipped step
            grad_norm = float(hub.get_scalar('train/grad_norm').current())
        bad = [k for k, v in terms.items() if not math.isfinite(v)]
        if grad_norm is not None and not math.isfinite(grad_norm):
            bad.append('grad_norm')
        if not bad:
            return
        lr = runner.optim_wrapper.get_lr()
        shown = ', '.join(f'{k}={v:.6g}' for k, v in terms.items())
        if grad_norm is not None:
            shown += f', grad_norm={grad_norm:.6g}'
        raise FloatingPointError(
            f'Non-finite {", ".join(bad)} at iteration {runner.iter + 1} '
            f'(epoch {runner.epoch + 1}): {shown}; learning rate {lr}. '
            'Training stopped; nothing was saved from this iteration on. '
            'Lower the learning rate or clip the gradients '
            '(optim_wrapper.clip_grad=dict(max_norm=...)), then resume from '
            'the last checkpoint.')
