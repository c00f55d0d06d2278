import logging
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.utils import get_ori_model

from clear_mm.evaluation.metrics import AttrRetrievalMetric
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
    - Before each validation / test epoch, for every
      :class:`AttrRetrievalMetric` of the loop: the dataset's queries
      (``get_query_attributes()``: its distinct attribute vectors, or the
      UPAR query file) and their embeddings, prepared once by the model
      (``encode_queries``, like mmpretrain's ``prepare_prototype``), and
      the training combinations (:meth:`training_combinations`), so that
      seen and unseen queries are reported apart. The metric only receives
      tensors.
    """
    priority = 'VERY_HIGH'

    def __init__(self):
        self._config_combinations: Optional[np.ndarray] = None

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

    def before_val_epoch(self, runner) -> None:
        self._prepare(runner, runner.val_loop)

    def before_test_epoch(self, runner) -> None:
        self._prepare(runner, runner.test_loop)

    def _prepare(self, runner, loop) -> None:
        if any(isinstance(m, AttrRetrievalMetric)
               for m in loop.evaluator.metrics):
            self.prepare_queries(runner, loop,
                                 self.training_combinations(runner))
        self.prepare_scorers(runner, loop)

    def training_combinations(self, runner) -> Optional[np.ndarray]:
        """The distinct attribute vectors the model was trained with
        ``(P, A)`` (CLEAR's Table 1 "seen" categories): the model's own
        proxies when it has them (AAC proxies, which no training image has,
        left out), otherwise those of the run's training split, built from
        the config (Cerberus, CLIP zero-shot). None, with a warning, when
        neither is available."""
        model = get_ori_model(runner.model)
        own = model.train_combinations() if isinstance(
            model, AttributeModel) else None
        if own is not None and len(own[0]):
            train, counts = own
            return train[counts > 0]  # AAC proxies are not training images
        if self._config_combinations is None:
            loader = (getattr(runner, 'cfg', None) or {}).get(
                'train_dataloader')
            dataset_cfg = None if not loader else loader.get('dataset')
            if dataset_cfg is None:
                print_log(
                    'DatasetMetaHook: the model has no training '
                    'combinations and the config no train_dataloader; '
                    'retrieval is not reported for seen and unseen '
                    'queries apart.', logger='current', level=logging.WARNING)
                return None
            from clear_mm.registry import DATASETS
            try:
                dataset = DATASETS.build(dataset_cfg)
            except Exception as e:  # evaluation must not need it
                print_log(
                    'DatasetMetaHook: the training split could not be '
                    f'read ({type(e).__name__}: {e}); retrieval is not '
                    'reported for seen and unseen queries apart.',
                    logger='current', level=logging.WARNING)
                return None
            if not hasattr(dataset, 'get_attribute_matrix'):
                return None
            self._config_combinations = np.unique(
                dataset.get_attribute_matrix(), axis=0)
        return self._config_combinations

    def prepare_scorers(self, runner, loop) -> None:
        """Give every metric with ``set_scorer`` (:class:`PartialQueryMetric`)
        the model's :class:`QueryScorer` and training combinations."""
        metrics = [m for m in loop.evaluator.metrics
                   if hasattr(m, 'set_scorer')]
        if not metrics:
            return
        from clear_mm.search.scoring import QueryScorer
        model = get_ori_model(runner.model)
        train = self.training_combinations(runner)
        for metric in metrics:
            metric.set_scorer(QueryScorer(model), train)

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

    @staticmethod
    def prepare_queries(runner, loop,
                        train_combinations: Optional[np.ndarray] = None
                        ) -> None:
        metrics = [
            m for m in loop.evaluator.metrics
            if isinstance(m, AttrRetrievalMetric)
        ]
        if not metrics:
            return
        model = get_ori_model(runner.model)
        queries = np.asarray(loop.dataloader.dataset.get_query_attributes())
        columns: Optional[np.ndarray] = model.query_columns if isinstance(
            model, AttributeModel) else None
        if columns is not None:
            # a model that cannot see some attributes (Cerberus and the
            # view) is asked for the distinct vectors of the others
            masked = np.zeros_like(queries)
            masked[:, columns] = queries[:, columns]
            queries = np.unique(masked, axis=0)
        embeddings = None
        if any(m.uses_embeddings for m in metrics):
            if not isinstance(model, AttributeModel):
                raise RuntimeError(
                    f'{type(model).__name__} has no encode_queries: rank by '
                    'attribute scores with ScoreRetrievalMetric.')
            # the loop switches to eval mode only after this hook
            was_training = model.training
            model.eval()
            with torch.no_grad():
                embeddings = model.encode_queries(queries).float().cpu()
            model.train(was_training)
        for metric in metrics:
            metric.set_queries(
                torch.from_numpy(queries).long(),
                embeddings if metric.uses_embeddings else None,
                columns,
                train_combinations=train_combinations)
