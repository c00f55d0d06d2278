"""The loaders on the official annotation files in ../shared/realdata."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import scipy.io as sio

from clear_mm.datasets import PA100K, PETA, Market1501Attr, RAPv2
from tests.conftest import realdata


def place(tmp_path, src, name):
    os.makedirs(tmp_path, exist_ok=True)
    os.symlink(src, osp.join(tmp_path, name))
    return str(tmp_path)


def test_pa100k(tmp_path):
    root = place(tmp_path, realdata('PA100K_annotation.mat'),
                 'annotation.mat')
    sizes = {s: len(PA100K(data_root=root, split=s))
             for s in ('train', 'val', 'test', 'trainval')}
    assert sizes == dict(train=80000, val=10000, test=10000, trainval=90000)
    ds = PA100K(data_root=root, split='test')
    assert len(ds.metainfo['attributes']) == 26
    assert ds.metainfo['attributes'][0] == 'Female'
    info = ds.get_data_info(0)
    assert info['img_path'] == osp.join(root, 'data', '090001.jpg')
    assert info['gt_score'].shape == (26, ) and set(
        np.unique(info['gt_score'])) <= {0, 1}
    ratio = np.array(ds.metainfo['pos_ratio'])
    train = sio.loadmat(realdata('PA100K_annotation.mat'))['train_label']
    np.testing.assert_allclose(ratio, train.mean(0))


def test_peta(tmp_path):
    root = place(tmp_path, realdata('PETA.mat'), 'PETA.mat')
    sizes = {s: len(PETA(data_root=root, split=s))
             for s in ('train', 'val', 'test')}
    assert sizes == dict(train=9500, val=1900, test=7600)
    ds = PETA(data_root=root, split='train')
    assert len(ds.metainfo['attributes']) == 35
    assert ds.metainfo['attributes'][:2] == [
        'personalLess30', 'personalLess45'
    ]
    groups = ds.metainfo['attribute_groups']
    assert sorted(sum(groups.values(), [])) == sorted(
        ds.metainfo['attributes'])
    assert len(groups['age']) == 4 and groups['gender'] == ['personalMale']
    assert ds.get_data_info(0)['img_path'].endswith(
        osp.join('images', '13183.png'))  # 1-based index 13183 = 13183.png
    assert len(PETA(data_root=root, all_attributes=True)
               .metainfo['attributes']) == 105
    other = PETA(data_root=root, split='train', split_index=3)
    assert other.get_data_info(0)['img_path'] != ds.get_data_info(
        0)['img_path']
    with pytest.raises(ValueError, match='split_index'):
        PETA(data_root=root, split_index=5)


def test_rap_v1(tmp_path):
    root = place(tmp_path, realdata('RAPv1_annotation.mat'),
                 'RAP_annotation.mat')
    train = RAPv2(data_root=root, split='train')
    test = RAPv2(data_root=root, split='test')
    assert (len(train), len(test)) == (33268, 8317)
    assert len(train.metainfo['attributes']) == 51
    assert train.metainfo['attributes'][:3] == [
        'Female', 'AgeLess16', 'Age17-30'
    ]
    groups = train.metainfo['attribute_groups']
    assert sum(len(g) for g in groups.values()) == 51
    assert 'Hat' in groups['hs'] and 'Backpack' in groups['attach']
    info = train.get_data_info(0)
    # uncertain labels (2) are present in RAP: negatives, masked
    masks = np.stack([train.get_data_info(i)['gt_ignore']
                      for i in range(2000)])
    assert info['gt_score'].dtype == np.int64
    assert masks.any()
    with pytest.raises(ValueError, match="no 'val' split"):
        RAPv2(data_root=root, split='val')


def test_market1501_real_labels(tmp_path):
    place(tmp_path, realdata('market_attribute.mat'), 'market_attribute.mat')
    mat = sio.loadmat(realdata('market_attribute.mat'))
    root = mat['market_attribute'][0, 0]
    ids = {}
    for split in ('train', 'test'):
        ids[split] = [
            str(i[0]) for i in root[split][0, 0]['image_index'].ravel()
        ]
    for split, folder in (('train', 'bounding_box_train'),
                          ('test', 'bounding_box_test')):
        os.makedirs(tmp_path / folder)
        for pid in ids[split][:20]:
            for cam in (1, 3):
                (tmp_path / folder / f'{pid}_c{cam}s1_000151_01.jpg').touch()
    (tmp_path / 'bounding_box_test' / '0000_c1s1_000001_00.jpg').touch()
    (tmp_path / 'bounding_box_test' / '-1_c1s1_000002_00.jpg').touch()
    (tmp_path / 'bounding_box_test' / 'Thumbs.db').touch()

    train = Market1501Attr(data_root=str(tmp_path), split='train')
    test = Market1501Attr(data_root=str(tmp_path), split='test')
    assert len(train) == 40 and len(test) == 40  # junk ids skipped
    assert len(train.metainfo['attributes']) == 30
    info = test.get_data_info(0)
    assert info['person_id'] == int(ids['test'][0])
    assert info['camera_id'] == 1
    # age is one-hot; every other attribute follows its field by name
    scores = np.stack([train.get_data_info(i)['gt_score']
                       for i in range(len(train))])
    assert (scores[:, :4].sum(1) == 1).all()
    first = root['train'][0, 0]
    col = train.metainfo['attributes'].index('female')
    assert scores[0, col] == int(first['gender'].ravel()[0] == 2)

    (tmp_path / 'bounding_box_train' / '9999_c1s1_000151_01.jpg').touch()
    with pytest.raises(KeyError, match='9999.*no labels'):
        Market1501Attr(data_root=str(tmp_path), split='train')
    shutil.rmtree(tmp_path / 'bounding_box_train')
    with pytest.raises(FileNotFoundError, match='bounding_box_train'):
        Market1501Attr(data_root=str(tmp_path), split='train')


def test_peta_fraction_is_an_error_not_a_zero(tmp_path):
    mat = sio.loadmat(realdata('PETA.mat'))
    peta = mat['peta'][0, 0]
    data = peta['data'].astype(float)
    column = int(peta['selected_attribute'].ravel()[0]) - 1
    data[7, column] = 0.5
    mat['peta'][0, 0]['data'] = data
    sio.savemat(tmp_path / 'PETA.mat', mat)
    with pytest.raises(ValueError, match=r'label 0\.5 of image 00008\.png '
                       r'\(row 7\) for attribute .*are 0 or 1'):
        PETA(data_root=str(tmp_path), split='train')


def test_market1501_fraction_is_an_error(tmp_path):
    mat = sio.loadmat(realdata('market_attribute.mat'))
    train = mat['market_attribute'][0, 0]['train'][0, 0]
    hat = train['hat'].astype(float)
    hat.ravel()[2] = 1.5
    train['hat'] = hat
    mat['market_attribute'][0, 0]['train'][0, 0] = train
    sio.savemat(tmp_path / 'market_attribute.mat', mat)
    with pytest.raises(ValueError,
                       match=r'market_attribute\.train\.hat of identity '
                       r'\d+ is 1\.5.*expected one of \(1, 2\)'):
        Market1501Attr(data_root=str(tmp_path), split='train')


def test_pa100k_all_split_matches_paper_002_table4(tmp_path):
    """split='all' is every image of the file; its positive counts are the
    sample counts of paper 002's Table 4 (Bags: the union of the three bag
    attributes), which shows the paper evaluated CLIP on the whole set."""
    root = place(tmp_path, realdata('PA100K_annotation.mat'),
                 'annotation.mat')
    ds = PA100K(data_root=root, split='all')
    assert len(ds) == 100000
    labels = np.stack([ds.get_data_info(i)['gt_score']
                       for i in range(len(ds))])
    names = ds.metainfo['attributes']
    col = {n: names.index(n) for n in names}
    assert labels[:, col['Female']].sum() == 45336
    assert labels[:, col['Hat']].sum() == 4206
    assert labels[:, col['Glasses']].sum() == 18662
    bags = labels[:, [col['HandBag'], col['ShoulderBag'], col['Backpack']]]
    assert bags.any(axis=1).sum() == 49980


def test_keep_combinations_restricts_training_combinations(tmp_path):
    """keep_combinations keeps every image of a seeded half of the split's
    distinct vectors and no other (for the unseen-query study)."""
    root = place(tmp_path, realdata('PA100K_annotation.mat'),
                 'annotation.mat')

    def matrix(ds):
        return np.stack([ds.get_data_info(i)['gt_score']
                         for i in range(len(ds))])

    full = matrix(PA100K(data_root=root, split='train'))
    half = PA100K(data_root=root, split='train',
                  keep_combinations=dict(fraction=0.5, seed=0))
    kept = matrix(half)
    combos = np.unique(full, axis=0)
    kept_combos = {r.tobytes() for r in np.unique(kept, axis=0)}
    assert len(kept_combos) == round(0.5 * len(combos))
    in_kept = np.array([r.tobytes() in kept_combos for r in full])
    assert len(kept) == in_kept.sum()  # every image of a kept combination
    again = matrix(PA100K(data_root=root, split='train',
                          keep_combinations=dict(fraction=0.5, seed=0)))
    np.testing.assert_array_equal(kept, again)
    other = matrix(PA100K(data_root=root, split='train',
                          keep_combinations=dict(fraction=0.5, seed=1)))
    assert {r.tobytes() for r in np.unique(other, axis=0)} != kept_combos
    # the positive ratios still come from the whole training split
    np.testing.assert_allclose(half.metainfo['pos_ratio'], full.mean(0))
    for bad in (dict(fraction=0), dict(fraction=1.5), dict(share=0.5),
                dict(fraction=0.5, seed=0, extra=1)):
        with pytest.raises(ValueError, match='keep_combinations'):
            PA100K(data_root=root, split='train', keep_combinations=bad)
