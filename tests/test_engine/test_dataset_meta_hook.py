"""DatasetMetaHook binds a dataset's schema to its model; PrepareQueriesHook
has the model prepare the retrieval metrics' queries, which reach the
metrics as tensors."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel

from clear_mm.engine import (DatasetMetaHook, PrepareQueriesHook,
                             training_meta)
from clear_mm.evaluation import AttrRetrievalMetric, PARMetric
from clear_mm.models import AttributeModel
from tests.utils import synthetic_meta


class Recorder(BaseModel, AttributeModel):
    """A model that records what it is given and embeds queries by their
    vectors; a BatchNorm shows whether it runs in eval mode."""

    def __init__(self, columns=None):
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(3, affine=False)
        self.metas = []
        self.columns = None if columns is None else np.array(columns)

    @property
    def query_columns(self):
        return self.columns

    def set_dataset_meta(self, meta):
        self.metas.append(meta)

    def embed_images(self, inputs):
        return inputs

    def encode_queries(self, attrs):
        assert not self.training  # the loop is not in eval mode yet
        return self.norm(torch.as_tensor(attrs).float())

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs


class Dataset:
    def __init__(self, labels, person_ids=None):
        self.labels = np.asarray(labels)
        self.person_ids = person_ids
        self.metainfo = synthetic_meta(attributes=['a', 'b', 'c'])

    def __len__(self):
        return len(self.labels)

    def get_attribute_matrix(self):
        return self.labels

    def get_data_info(self, i):
        info = dict(gt_score=self.labels[i])
        if self.person_ids is not None:
            info['person_id'] = self.person_ids[i]
        return info

    def get_query_attributes(self):
        return np.unique(self.labels, axis=0)


def runner_with(model, dataset, metrics=(), batch_size=4, sampler=None):
    loop = SimpleNamespace(
        dataloader=SimpleNamespace(dataset=dataset, batch_size=batch_size,
                                   sampler=sampler),
        evaluator=SimpleNamespace(metrics=list(metrics)))
    return SimpleNamespace(model=model, train_loop=loop, val_loop=loop,
                           test_loop=loop,
                           logger=SimpleNamespace(info=lambda msg: None))


def test_training_meta_adds_the_split_labels_and_identities():
    labels = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    meta = training_meta(Dataset(labels, person_ids=[7, 8, 7]))
    np.testing.assert_array_equal(meta['train_labels'], labels)
    np.testing.assert_array_equal(meta['person_ids'], [7, 8, 7])
    assert meta['attributes'] == ['a', 'b', 'c']
    assert 'person_ids' not in training_meta(Dataset(labels))


def test_before_train_and_eval_hand_the_meta():
    model = Recorder()
    dataset = Dataset([[1, 0, 1], [0, 1, 0]])
    hook = DatasetMetaHook()
    hook.before_train(runner_with(model, dataset))
    assert 'train_labels' in model.metas[-1]
    hook.before_test(runner_with(model, dataset))
    assert 'train_labels' not in model.metas[-1]
    assert model.metas[-1]['attributes'] == ['a', 'b', 'c']
    sampler = SimpleNamespace(num_instances=4)
    with pytest.raises(ValueError, match='not a multiple'):
        hook.before_train(runner_with(model, dataset, batch_size=6,
                                      sampler=sampler))


def test_queries_prepared_by_the_model_reach_the_metric_as_tensors():
    labels = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [1, 0, 1]]
    model = Recorder()
    model.train()
    metric = AttrRetrievalMetric()
    PrepareQueriesHook().before_val_epoch(
        runner_with(model, Dataset(labels), [metric, PARMetric()]))
    assert model.training  # back to training mode after encoding
    queries = np.unique(np.array(labels), axis=0)
    np.testing.assert_array_equal(metric.query_attrs, queries)
    model.eval()
    torch.testing.assert_close(metric.query_embeddings,
                               model.norm(torch.tensor(queries).float()))
    # a model that sees only some attributes is asked for the distinct
    # vectors on those, and the metric compares only them
    masked = Recorder(columns=[0, 2])
    PrepareQueriesHook().before_test_epoch(
        runner_with(masked, Dataset(labels), [metric]))
    np.testing.assert_array_equal(metric.query_attrs,
                                  [[0, 0, 0], [1, 0, 0], [1, 0, 1]])
    assert metric.columns == [0, 2]


def test_a_classifier_gets_its_head_checked_and_positive_ratios():
    from clear_mm.registry import MODELS
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, base_channels=8,
                      out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='PARHead', num_classes=3, in_channels=64,
                  loss=dict(type='WeightedBCELoss'))))
    dataset = Dataset([[1, 0, 1], [0, 1, 0]])
    dataset.metainfo['pos_ratio'] = [0.5, 0.5, 0.5]
    DatasetMetaHook().before_train(runner_with(model, dataset))
    torch.testing.assert_close(model.head.loss_module.pos_ratio,
                               torch.full((3, ), 0.5))
    dataset.metainfo['attributes'] = ['a', 'b']
    with pytest.raises(ValueError, match='num_classes=2'):
        DatasetMetaHook().before_val(runner_with(model, dataset))
