from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class PARDatasetHook(Hook):
    """Ties the model to the attributes of the dataset it runs on.

    - Before training, validation and testing: the head's ``num_classes``
      must equal the dataset's number of attributes, else a ``ValueError``
      naming both numbers stops the run before its first iteration.
    - Before training: a loss with ``set_pos_ratio`` (``WeightedBCELoss``)
      gets the training split's positive ratios from
      ``dataset.metainfo['pos_ratio']`` unless its config set them.
    - A model with ``set_attributes`` (``CLIPZeroShotPAR``) gets the
      dataset's attribute names, class name and attribute groups before
      validation and testing.
    """
    priority = 'VERY_HIGH'

    @staticmethod
    def _head(runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return getattr(model, 'head', None)

    def _check(self, runner, dataloader, stage: str) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        meta = dataloader.dataset.metainfo
        if hasattr(model, 'set_attributes') and 'attributes' in meta:
            model.set_attributes(meta['attributes'],
                                 type(dataloader.dataset).__name__,
                                 meta.get('attribute_groups'))
        head = self._head(runner)
        if head is None or 'attributes' not in meta:
            return
        num_attr = len(meta['attributes'])
        if head.num_classes != num_attr:
            raise ValueError(
                f'The head predicts {head.num_classes} attributes but the '
                f'{stage} dataset {type(dataloader.dataset).__name__} has '
                f'{num_attr}: set model.head.num_classes={num_attr}.')

    def before_train(self, runner) -> None:
        dataloader = runner.train_loop.dataloader
        self._check(runner, dataloader, 'train')
        loss = getattr(self._head(runner), 'loss_module', None)
        ratio = dataloader.dataset.metainfo.get('pos_ratio')
        if (hasattr(loss, 'set_pos_ratio') and loss.pos_ratio is None
                and ratio is not None):
            loss.set_pos_ratio(ratio)
            runner.logger.info('WeightedBCELoss positive ratios set from the '
                               'training dataset.')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_loop.dataloader, 'val')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_loop.dataloader, 'test')
