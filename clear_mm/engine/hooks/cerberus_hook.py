import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import DATASETS, HOOKS

from clear_mm.datasets.semantic_ids import SemanticIDs
from clear_mm.evaluation.metrics import AttrRetrievalMetric


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class CerberusDatasetHook(Hook):
    """Ties :class:`Cerberus` to its data.

    - Before training: the SIDs of the training split (its distinct group
      combinations), one attribute vector per training person (for the
      adaptive margins, Eq. 4) and the person ids (identity classes).
    - Before validation / testing: the same SIDs (rebuilt from the training
      split's annotation when the run did not train, e.g.
      ``tools/test.py``), and for every ``AttrRetrievalMetric`` of the loop
      the dataset's attribute queries with the model's SID-prototype
      encoder (APS).
    """
    priority = 'VERY_HIGH'

    @staticmethod
    def _persons(dataset):
        vectors, pids = {}, []
        attrs = dataset.get_attribute_matrix()
        for i in range(len(dataset)):
            pid = int(dataset.get_data_info(i)['person_id'])
            pids.append(pid)
            vectors.setdefault(pid, attrs[i])
        return attrs, np.stack(list(vectors.values())), pids

    def _sids(self, model, dataset):
        attrs, persons, pids = self._persons(dataset)
        sids = SemanticIDs(dataset.metainfo['attributes'], model.sid_groups,
                           attrs)
        return sids, persons, pids

    def before_train(self, runner) -> None:
        model = _unwrap(runner.model)
        loader = runner.train_loop.dataloader
        k = getattr(loader.sampler, 'num_instances', None)
        if k is not None and loader.batch_size % k:
            raise ValueError(
                f'train_dataloader.batch_size={loader.batch_size} is not a '
                f'multiple of the sampler\'s num_instances={k}: a person\'s '
                'images would be split across batches (Cerberus: 16 x 4 = '
                '64).')
        dataset = loader.dataset
        sids, persons, pids = self._sids(model, dataset)
        model.bind_sids(sids, persons, pids)
        per_group = dict(zip(sids.group_names, sids.num_sids))
        runner.logger.info(
            f'Cerberus: {sum(sids.num_sids)} SIDs {per_group} from '
            f'{len(persons)} training persons ({len(dataset)} images).')

    def _prepare(self, runner, loop) -> None:
        model = _unwrap(runner.model)
        if model.sids is None:
            cfg = runner.cfg.get('train_dataloader')
            if not cfg:
                raise RuntimeError(
                    'Cerberus needs its training split to rebuild the SIDs: '
                    'keep train_dataloader in the config.')
            model.set_sids(self._sids(model, DATASETS.build(
                cfg['dataset']))[0])
        dataset = loop.dataloader.dataset
        # APS queries: the distinct vectors on the grouped attributes (the
        # others, e.g. the view of the synthetic images, are no person
        # traits and are not compared)
        columns = np.concatenate(model.sids.columns)
        queries = np.zeros_like(dataset.get_query_attributes())
        queries[:, columns] = dataset.get_query_attributes()[:, columns]
        queries = np.unique(queries, axis=0)

        def encode(attrs, model=model):
            return model.encode_queries(attrs).cpu()

        for metric in loop.evaluator.metrics:
            if isinstance(metric, AttrRetrievalMetric):
                metric.set_queries(encode, queries, columns)

    def before_val_epoch(self, runner) -> None:
        self._prepare(runner, runner.val_loop)

    def before_test_epoch(self, runner) -> None:
        self._prepare(runner, runner.test_loop)
