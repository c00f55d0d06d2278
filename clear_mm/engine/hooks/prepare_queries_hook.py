"""Before each evaluation, the model prepares what the retrieval metrics
compare the images against, and the metrics receive tensors only."""
import logging
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.utils import get_ori_model

from clear_mm.evaluation.metrics import AttrRetrievalMetric, PartialQueryMetric
from clear_mm.models import AttributeModel
from clear_mm.registry import HOOKS


def model_training_combinations(model) -> Optional[np.ndarray]:
    """The distinct attribute vectors ``(P, A)`` the model was trained
    with, as it keeps them (CLEAR's Table 1 "seen" categories; AAC
    proxies, which no training image has, left out); None for a model
    that keeps none (Cerberus, CLIP zero-shot): its seen and unseen
    queries are not reported apart."""
    own = model.train_combinations() if isinstance(model,
                                                   AttributeModel) else None
    if own is None or not len(own[0]):
        return None
    train, counts = own
    return train[counts > 0]


@torch.no_grad()
def prepare_partial_queries(metric: PartialQueryMetric, model,
                            labels: np.ndarray,
                            train_combinations=None,
                            sigma: Optional[float] = None) -> None:
    """Have ``model`` plan the partial queries of a split with labels
    ``labels`` ``(N, A)`` and hand ``metric`` the plans (tensors)."""
    from clear_mm.search.scoring import QueryScorer
    scorer = QueryScorer(model, sigma)
    queries = metric.make_queries(labels)
    plans = {k: [scorer.plan(q) for q in qs] for k, qs in queries.items()}
    metric.set_plans(queries, plans, scorer.sigma,
                     model.scores_are_probabilities, train_combinations)


@HOOKS.register_module()
class PrepareQueriesHook(Hook):
    """The queries of the retrieval metrics, prepared by the model before
    each validation and test epoch (as MMPretrain's
    ``PrepareProtoBeforeValLoopHook`` has a retriever prepare its
    prototypes):

    - :class:`AttrRetrievalMetric`: the evaluated split's queries
      (``get_query_attributes()``: its distinct attribute vectors, or the
      UPAR query file), only on the attribute columns the model searches
      (``query_columns``), and their embeddings (``encode_queries``);
    - :class:`PartialQueryMetric`: the split's masked queries and each
      one's scoring plan (:meth:`QueryScorer.plan`).

    Both also get the training combinations the model keeps, so that
    queries seen and unseen in training are reported apart; a model that
    keeps none is not reported that way (the training split is not read at
    test time). The metrics receive tensors only and never call the model.
    """
    priority = 'VERY_HIGH'

    def before_val_epoch(self, runner) -> None:
        self.prepare(runner, runner.val_loop)

    def before_test_epoch(self, runner) -> None:
        self.prepare(runner, runner.test_loop)

    def prepare(self, runner, loop) -> None:
        metrics = loop.evaluator.metrics
        retrieval = [m for m in metrics if isinstance(m, AttrRetrievalMetric)]
        partial = [m for m in metrics if isinstance(m, PartialQueryMetric)]
        if not (retrieval or partial):
            return
        model = get_ori_model(runner.model)
        train = model_training_combinations(model)
        if train is None:
            print_log(
                f'{type(model).__name__} keeps no training combinations: '
                'retrieval is not reported for seen and unseen queries '
                'apart.', logger='current', level=logging.INFO)
        dataset = loop.dataloader.dataset
        # the loop switches the model to eval mode only after this hook
        was_training = model.training
        model.eval()
        try:
            if retrieval:
                self.prepare_retrieval(model, dataset, retrieval, train)
            for metric in partial:
                prepare_partial_queries(metric, model,
                                        dataset.get_attribute_matrix(),
                                        train)
        finally:
            model.train(was_training)

    @staticmethod
    @torch.no_grad()
    def prepare_retrieval(model, dataset, metrics, train) -> None:
        queries = np.asarray(dataset.get_query_attributes())
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
            embeddings = model.encode_queries(queries).float().cpu()
        for metric in metrics:
            metric.set_queries(
                torch.from_numpy(queries).long(),
                embeddings if metric.uses_embeddings else None,
                columns,
                train_combinations=train)
