"""The Rethinking_of_PAR / OpenPAR split files (pickled EasyDicts), read by
a restricted unpickler: written here with a stand-in EasyDict class."""
import os
import pickle
import sys
import types

import numpy as np
import pytest

from clear_mm.datasets import PETAPickle, RAPPickle, load_par_pickle


class EasyDict(dict):
    """Like easydict.EasyDict: items are also attributes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for k, v in self.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        self[name] = value


EasyDict.__module__ = 'easydict'


@pytest.fixture
def easydict_module(monkeypatch):
    module = types.ModuleType('easydict')
    module.EasyDict = EasyDict
    monkeypatch.setitem(sys.modules, 'easydict', module)


NAMES = ['personalLess30', 'personalLess45', 'accessoryHat',
         'upperBodyBlack', 'carryingBackpack']


def split_file(path, labels=None, zero_shot=False, splits=2):
    rng = np.random.default_rng(0)
    data = EasyDict()
    data.description = 'peta'
    data.root = '/somewhere/else/images'
    data.image_name = [f'{i + 1:05d}.png' for i in range(10)]
    data.label = rng.integers(0, 2, (10, 5)) if labels is None else labels
    data.attr_name = list(NAMES)
    if not zero_shot:
        data.label_idx = EasyDict()
        data.label_idx.eval = [2, 0, 1, 4]  # group order, not file order
        data.label_idx.color = [3]
        data.label_idx.extra = range(5, 5)
    data.partition = EasyDict()
    parts = [(np.arange(0, 5), np.arange(5, 7), np.arange(7, 10)),
             (np.arange(3, 8), np.arange(8, 10), np.arange(0, 3))]
    if splits == 1:
        data.partition.train, data.partition.val, data.partition.test = \
            parts[0]
        data.partition.trainval = np.arange(0, 7)
    else:
        data.partition.train = [p[0] for p in parts]
        data.partition.val = [p[1] for p in parts]
        data.partition.test = [p[2] for p in parts]
        data.partition.trainval = [np.concatenate(p[:2]) for p in parts]
    data.weight_train = [np.mean(data.label[p[0]], 0) for p in parts]
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return data


def test_reads_eval_columns_in_their_order_and_the_splits(
        tmp_path, easydict_module):
    data = split_file(tmp_path / 'dataset_all.pkl')
    ds = PETAPickle(data_root=str(tmp_path), split='train', split_index=1)
    assert ds.metainfo['attributes'] == [
        'accessoryHat', 'personalLess30', 'personalLess45',
        'carryingBackpack']
    assert len(ds) == 5
    info = ds.get_data_info(0)
    assert info['img_path'] == os.path.join(str(tmp_path), 'images',
                                            '00004.png')
    np.testing.assert_array_equal(info['gt_score'],
                                  data.label[3][[2, 0, 1, 4]])
    assert ds.metainfo['attribute_groups']['age'] == [
        'personalLess30', 'personalLess45']
    # colour columns on request; all columns for a zero-shot file
    color = PETAPickle(data_root=str(tmp_path), split='test',
                       label_set='color')
    assert color.metainfo['attributes'][-1] == 'upperBodyBlack'
    split_file(tmp_path / 'dataset_zs_run0.pkl', zero_shot=True, splits=1)
    zs = PETAPickle(data_root=str(tmp_path), ann_file='dataset_zs_run0.pkl',
                    split='trainval')
    assert zs.metainfo['attributes'] == NAMES and len(zs) == 7


def test_labels_checked_and_rap_uncertain(tmp_path, easydict_module):
    labels = np.random.default_rng(1).integers(0, 2, (10, 5))
    labels[1, 0] = 2
    split_file(tmp_path / 'dataset_all.pkl', labels=labels)
    with pytest.raises(ValueError, match=r"label 2 of image 00002\.png"):
        PETAPickle(data_root=str(tmp_path), split='train')
    rap = RAPPickle(data_root=str(tmp_path), split='train')
    assert rap.get_data_info(1)['gt_ignore'].tolist() == [
        False, True, False, False]
    labels = labels.astype(float)
    labels[1, 0] = 0.5
    split_file(tmp_path / 'dataset_all.pkl', labels=labels)
    with pytest.raises(ValueError, match=r"label 0\.5 of image 00002\.png"):
        RAPPickle(data_root=str(tmp_path), split='train')


class Payload:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


class Other:
    pass


def test_a_pickle_with_any_other_class_is_refused(tmp_path,
                                                  easydict_module):
    path = tmp_path / 'dataset_all.pkl'
    with open(path, 'wb') as f:
        pickle.dump(EasyDict(image_name=[], label=Payload()), f)
    with pytest.raises(pickle.UnpicklingError,
                       match=r'posix\.system is not allowed'):
        load_par_pickle(str(path))
    with open(path, 'wb') as f:
        pickle.dump(dict(x=Other()), f)
    with pytest.raises(pickle.UnpicklingError, match=r'\.Other is not'):
        load_par_pickle(str(path))
