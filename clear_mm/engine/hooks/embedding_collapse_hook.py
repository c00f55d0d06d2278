import math
from typing import List, Optional

from mmengine.hooks import Hook

from clear_mm.registry import HOOKS


@HOOKS.register_module()
class EmbeddingCollapseHook(Hook):
    """Collapse detector: the per-epoch mean of a batch statistic the model
    logs, by default ``image_cos`` (the mean pairwise cosine of the image
    embeddings in a batch, which :class:`MultiTaskAttributeTransformer`
    returns with its losses).

    An embedding whose images all point the same way ranks at chance
    however low its other losses are; the value is near 1 then, and near 0
    for spread-out embeddings. At the end of every training epoch the hook
    logs the epoch's mean (and writes it to the message hub as
    ``train/<key>_epoch``); above ``warn_above`` it logs a warning that
    names the epoch.

    Args:
        key (str): The logged value to average. Defaults to 'image_cos'.
        warn_above (float): Warn when the epoch mean exceeds it.
            Defaults to 0.9.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, key: str = 'image_cos', warn_above: float = 0.9):
        if not -1 <= warn_above <= 1:
            raise ValueError('warn_above is a cosine, in [-1, 1]; got '
                             f'{warn_above}.')
        self.key = key
        self.warn_above = warn_above
        self._values: List[float] = []

    def before_train_epoch(self, runner) -> None:
        self._values = []

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if outputs and self.key in outputs:
            self._values.append(float(outputs[self.key]))

    def after_train_epoch(self, runner) -> None:
        if not self._values:
            runner.logger.warning(
                f'EmbeddingCollapseHook: the model logged no {self.key!r} '
                f'in epoch {runner.epoch + 1}; nothing to check.')
            return
        epoch = runner.epoch + 1  # the loop counts it after this hook
        mean = math.fsum(self._values) / len(self._values)
        runner.message_hub.update_scalar(f'train/{self.key}_epoch', mean)
        runner.logger.info(
            f'Epoch {epoch}: mean {self.key} {mean:.4f} over '
            f'{len(self._values)} iterations.')
        if mean > self.warn_above:
            runner.logger.warning(
                f'Epoch {epoch}: the image embeddings look collapsed '
                f'(mean {self.key} {mean:.3f} > {self.warn_above}): the '
                'images of a batch point nearly the same way, so ranking by '
                'them is close to chance.')
