import numpy as np
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from clear_mm.models import AttributeModel
from clear_mm.models.utils.dataset_meta import set_classifier_meta
from clear_mm.registry import HOOKS


def training_meta(dataset) -> dict:
    """A training set's ``metainfo`` plus what models learn from the split
    itself: ``train_labels`` ``(N, A)`` and, when the images have
    identities, ``person_ids`` ``(N, )``."""
    meta = dict(dataset.metainfo)
    if hasattr(dataset, 'get_attribute_matrix'):
        meta['train_labels'] = dataset.get_attribute_matrix()
        if len(dataset) and 'person_id' in dataset.get_data_info(0):
            meta['person_ids'] = np.array([
                int(dataset.get_data_info(i)['person_id'])
                for i in range(len(dataset))
            ])
    return meta


@HOOKS.register_module()
class DatasetMetaHook(Hook):
    """The one way a model learns about its data: ``set_dataset_meta``.

    - Before training: the model gets the training set's ``metainfo`` (its
      schema: attributes, groups, exclusion rules, description phrases, SID
      groups, positive ratios) plus the split's labels and person ids
      (:func:`training_meta`). Models keep what they need in their state
      dict, so checkpoints carry it. A plain mmpretrain classifier has its
      head checked against the attributes and its ``WeightedBCELoss`` gets
      the positive ratios.
    - Before validation and testing: the evaluated set's ``metainfo``; a
      trained model checks it has its attributes, an untrained one (CLIP
      zero-shot) adopts its schema.

    What the retrieval metrics compare against is prepared by
    :class:`PrepareQueriesHook`.
    """
    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        loader = runner.train_loop.dataloader
        k = getattr(loader.sampler, 'num_instances', None)
        if k is not None and loader.batch_size % k:
            raise ValueError(
                f'train_dataloader.batch_size={loader.batch_size} is not a '
                f'multiple of the sampler\'s num_instances={k}: a person\'s '
                'images would be split across batches (Cerberus: 16 x 4 = '
                '64).')
        self._set(runner, training_meta(loader.dataset), 'train')

    def before_val(self, runner) -> None:
        self._set(runner, runner.val_loop.dataloader.dataset.metainfo, 'val')

    def before_test(self, runner) -> None:
        self._set(runner, runner.test_loop.dataloader.dataset.metainfo,
                  'test')

    @staticmethod
    def _set(runner, meta: dict, stage: str) -> None:
        model = get_ori_model(runner.model)
        if isinstance(model, AttributeModel):
            model.set_dataset_meta(meta)
        else:
            set_classifier_meta(model, meta, stage)
        if stage == 'train' and 'train_labels' in meta:
            runner.logger.info(
                f'{type(model).__name__}: dataset meta of '
                f'{len(meta["train_labels"])} training images, '
                f'{len(np.unique(meta["train_labels"], axis=0))} distinct '
                'attribute vectors.')
