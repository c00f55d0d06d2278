"""Loaders on small files written in the official formats."""
import os.path as osp

import numpy as np
import pytest
import scipy.io as sio
from mmengine.dataset import Compose

from clear_mm.datasets import PA100K, UPAR2024, RAPv2
from clear_mm.datasets.upar2024 import UPAR_ATTRIBUTES


def cell(strings):
    arr = np.empty((len(strings), 1), dtype=object)
    for i, s in enumerate(strings):
        arr[i, 0] = s
    return arr


def write_pa100k(root, labels=None, names=None):
    names = names or [f'{i:06d}.jpg' for i in range(1, 7)]
    labels = np.random.default_rng(0).integers(0, 2, (6, 3)) \
        if labels is None else labels
    sio.savemat(
        osp.join(root, 'annotation.mat'),
        dict(
            attributes=cell(['Female', 'Hat', 'boots']),
            train_images_name=cell(names[:3]),
            train_label=labels[:3].astype(np.uint8),
            val_images_name=cell(names[3:4]),
            val_label=labels[3:4].astype(np.uint8),
            test_images_name=cell(names[4:]),
            test_label=labels[4:].astype(np.uint8)))
    return labels


def test_pa100k_small_file(tmp_path):
    labels = write_pa100k(tmp_path)
    ds = PA100K(data_root=str(tmp_path), split='test')
    assert len(ds) == 2
    np.testing.assert_array_equal(ds.get_data_info(1)['gt_score'],
                                  labels[5])
    np.testing.assert_allclose(ds.metainfo['pos_ratio'],
                               labels[:3].mean(0))


def test_pa100k_bad_label_value(tmp_path):
    write_pa100k(tmp_path, labels=np.array([[0, 1, 0]] * 5 + [[0, 3, 0]]))
    with pytest.raises(ValueError, match=r"label 3 of image 000006.jpg.*'Hat'"):
        PA100K(data_root=str(tmp_path), split='test')


def test_missing_annotation_names_path_and_docs(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        PA100K(data_root=str(tmp_path / 'nowhere'))
    assert 'nowhere' in str(e.value) and 'annotation.mat' in str(e.value)
    assert 'docs/datasets.md' in str(e.value)


def test_missing_image_fails_when_loaded(tmp_path):
    write_pa100k(tmp_path)
    ds = PA100K(
        data_root=str(tmp_path),
        split='train',
        pipeline=[dict(type='LoadPedestrianImage')])
    with pytest.raises(FileNotFoundError, match='000001.jpg'):
        ds[0]
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / '000001.jpg').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='000001.jpg could not be decoded'):
        ds[0]


def write_rap2(path):
    """RAP v2's RAP_annotation.mat as distributed: partition_attribute
    entries hold train_index, val_index and test_index only."""
    n = 8
    rng = np.random.default_rng(0)
    data = rng.integers(0, 2, (n, 5))
    data[0, 1] = 2  # uncertain
    part = np.empty((2, 1), dtype=object)
    dt = [('train_index', 'O'), ('val_index', 'O'), ('test_index', 'O')]
    for k in range(2):
        p = np.zeros((1, 1), dtype=dt)
        p[0, 0] = (np.array([[1, 2, 3, 4]]), np.array([[5, 6]]),
                   np.array([[7, 8]]))
        part[k, 0] = p
    rap = np.zeros((1, 1),
                   dtype=[('name', 'O'), ('attribute', 'O'), ('data', 'O'),
                          ('selected_attribute', 'O'),
                          ('partition_attribute', 'O')])
    rap[0, 0] = (cell([f'img{i}.png' for i in range(n)]),
                 cell(['Female', 'AgeLess16', 'x', 'hs-Hat', 'y']), data,
                 np.array([[1, 2, 4]]), part)
    sio.savemat(path, dict(RAP_annotation=rap))
    return data


def test_rap_v2_small_file(tmp_path):
    data = write_rap2(tmp_path / 'RAP_annotation.mat')
    ds = RAPv2(data_root=str(tmp_path), split='train')
    assert ds.metainfo['attributes'] == ['Female', 'AgeLess16', 'hs-Hat']
    assert ds.metainfo['attribute_groups'] == dict(
        gender=['Female'], age=['AgeLess16'], hs=['hs-Hat'])
    assert [len(RAPv2(data_root=str(tmp_path), split=s))
            for s in ('train', 'val', 'test', 'trainval')] == [4, 2, 2, 6]
    info = ds.get_data_info(0)
    assert info['gt_score'].tolist() == [data[0, 0], 0, data[0, 3]]
    assert info['gt_ignore'].tolist() == [False, True, False]
    # the uncertain label is not counted as a positive
    assert ds.metainfo['pos_ratio'][1] == pytest.approx(
        (data[1:4, 1] == 1).sum() / 4)


def write_upar(path, rows, header=True):
    with open(path, 'w') as f:
        if header:
            f.write('# Image,' + ','.join(UPAR_ATTRIBUTES) + '\n')
        for name, values in rows:
            f.write(name + ',' + ','.join(str(v) for v in values) + '\n')


def test_upar2024_csv(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / 'annotations').mkdir()
    rows = {
        s: [(f'Market1501/bounding_box_train/{s}{i}.jpg',
             rng.integers(0, 2, 40)) for i in range(n)]
        for s, n in (('train', 5), ('val', 2), ('test', 3))
    }
    for s in rows:
        write_upar(tmp_path / 'annotations' / f'{s}.csv', rows[s],
                   header=(s != 'test'))
    ds = UPAR2024(data_root=str(tmp_path), split='test')
    assert len(ds) == 3 and len(ds.metainfo['attributes']) == 40
    assert ds.metainfo['attributes'][0] == 'Age-Young'
    assert ds.metainfo['attributes'][-1] == 'Accessory-Hat'
    info = ds.get_data_info(2)
    assert info['img_path'] == osp.join(str(tmp_path), rows['test'][2][0])
    np.testing.assert_array_equal(info['gt_score'], rows['test'][2][1])
    np.testing.assert_allclose(
        ds.metainfo['pos_ratio'],
        np.mean([r[1] for r in rows['train']], axis=0))
    assert len(UPAR2024(data_root=str(tmp_path), split='trainval')) == 7

    bad = tmp_path / 'annotations' / 'val.csv'
    header = UPAR_ATTRIBUTES[::-1]
    bad.write_text('# Image,' + ','.join(header) + '\n')
    with pytest.raises(ValueError, match='val.csv:1: header'):
        UPAR2024(data_root=str(tmp_path), split='val')
    write_upar(bad, [('a.jpg', [0] * 39)])
    with pytest.raises(ValueError, match='val.csv:2: 40 columns'):
        UPAR2024(data_root=str(tmp_path), split='val')
    write_upar(bad, [('a.jpg', [0] * 39 + [0.7])])
    with pytest.raises(ValueError, match=r"val.csv:2: values.*Accessory-Hat"):
        UPAR2024(data_root=str(tmp_path), split='val')


def test_upar2024_retrieval_queries(tmp_path):
    rng = np.random.default_rng(1)
    (tmp_path / 'annotations').mkdir()
    labels = rng.integers(0, 2, (6, 40))
    labels[3] = labels[1]  # a repeated vector
    for s in ('train', 'test'):
        write_upar(tmp_path / 'annotations' / f'{s}.csv',
                   [(f'{s}{i}.jpg', v) for i, v in enumerate(labels)])
    ds = UPAR2024(data_root=str(tmp_path), split='test')
    # default queries: the split's distinct vectors
    np.testing.assert_array_equal(ds.get_query_attributes(),
                                  np.unique(labels, axis=0))
    np.testing.assert_array_equal(ds.get_attribute_combinations(),
                                  np.unique(labels, axis=0))
    assert ds.get_attribute_matrix().shape == (6, 40)
    # the challenge's query file: 0/1 rows, with or without a query id
    queries = rng.integers(0, 2, (3, 40))
    with open(tmp_path / 'queries.csv', 'w') as f:
        f.write(','.join(UPAR_ATTRIBUTES) + '\n')
        f.write(','.join(map(str, queries[0])) + '\n')
        for i in (1, 2):
            f.write(f'q{i},' + ','.join(map(str, queries[i])) + '\n')
    ds = UPAR2024(data_root=str(tmp_path), split='test',
                  query_file='queries.csv')
    np.testing.assert_array_equal(ds.get_query_attributes(), queries)
    with open(tmp_path / 'queries.csv', 'a') as f:
        f.write('1,0,1\n')
    with pytest.raises(ValueError, match='queries.csv:5: 3 columns; '
                       'expected an optional query id and 40'):
        ds.get_query_attributes()


def test_pipeline_packs_gt_ignore(tmp_path):
    write_rap2(tmp_path / 'RAP_annotation.mat')
    ds = RAPv2(data_root=str(tmp_path), split='train')
    pack = Compose([dict(type='PackInputs', algorithm_keys=['gt_ignore'])])
    info = ds.get_data_info(0)
    info['img'] = np.zeros((8, 4, 3), dtype=np.uint8)
    sample = pack(info)['data_samples']
    assert sample.gt_ignore.tolist() == [False, True, False]
    assert sample.gt_score.tolist() == info['gt_score'].tolist()


def test_inferencers_drop_the_image_loader():
    """The inferencers load images themselves (paths and arrays): the
    configs' own loader is dropped from the test pipeline, and it is
    ours, under its own name."""
    from mmengine.config import Config

    from clear_mm.apis.base import test_pipeline
    from clear_mm.datasets.transforms import LoadPedestrianImage
    from clear_mm.registry import TRANSFORMS
    from tests.conftest import REPO
    assert TRANSFORMS.get('LoadPedestrianImage') is LoadPedestrianImage
    cfg = Config.fromfile(f'{REPO}/configs/clear/par_synthetic.py')
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline
            ] == ['LoadPedestrianImage', 'Resize', 'PackInputs']
    steps = test_pipeline(cfg).transforms
    assert [type(t).__name__ for t in steps[1:]] == ['Resize', 'PackInputs']


def test_schema_from_the_config_is_checked(tmp_path):
    """A file with a subset of PA100K's attributes drops the class's rules
    and SID groups it cannot hold; a config's own rules and groups that
    name unknown groups or attributes are errors, not silently dropped."""
    write_pa100k(tmp_path)
    ds = PA100K(data_root=str(tmp_path), split='train')
    assert 'sid_groups' not in ds.metainfo  # Glasses etc. are absent
    assert set(ds.metainfo['descriptions']) == {'Female', 'Hat', 'boots'}
    with pytest.raises(ValueError, match="exclusion_rules.*'agee'"):
        PA100K(data_root=str(tmp_path), split='train',
               metainfo=dict(exclusion_rules=dict(agee='one')))
    with pytest.raises(ValueError, match="names \\['Glases'\\]"):
        PA100K(data_root=str(tmp_path), split='train',
               metainfo=dict(sid_groups=dict(head=['Hat', 'Glases'])))


@pytest.mark.parametrize('value', [0.5, 1.7, np.nan, -1.0, 2.0])
def test_pa100k_labels_checked_before_any_cast(tmp_path, value):
    """0.5 must not become 0, 1.7 not 1, NaN not an integer; 2 (RAP's
    uncertain) is not a PA100K value."""
    labels = np.random.default_rng(0).integers(0, 2, (6, 3)).astype(float)
    labels[4, 2] = value
    names = [f'{i:06d}.jpg' for i in range(1, 7)]
    sio.savemat(
        osp.join(tmp_path, 'annotation.mat'),
        dict(attributes=cell(['Female', 'Hat', 'boots']),
             train_images_name=cell(names[:3]), train_label=labels[:3],
             val_images_name=cell(names[3:4]), val_label=labels[3:4],
             test_images_name=cell(names[4:]), test_label=labels[4:]))
    with pytest.raises(ValueError) as e:
        PA100K(data_root=str(tmp_path), split='train')
    message = str(e.value)
    assert f'label {value!r} of image 000005.jpg (row 4)' in message
    assert "'boots'" in message and 'are 0 or 1' in message
    assert 'annotation.mat' in message


def test_rap_accepts_uncertain_but_not_fractions(tmp_path):
    write_rap2(tmp_path / 'RAP_annotation.mat')
    RAPv2(data_root=str(tmp_path), split='train')  # 2 = uncertain: fine
    mat = sio.loadmat(tmp_path / 'RAP_annotation.mat')
    rap = mat['RAP_annotation']
    data = rap[0, 0]['data'].astype(float)
    data[3, 0] = 0.5
    rap[0, 0]['data'] = data
    sio.savemat(tmp_path / 'RAP_annotation.mat', mat)
    with pytest.raises(ValueError,
                       match=r'label 0\.5 of image .*row 3.*0, 1 or 2'):
        RAPv2(data_root=str(tmp_path), split='train')


def test_leakage_and_duplicates_are_errors(tmp_path):
    names = [f'{i:06d}.jpg' for i in range(1, 7)]
    write_pa100k(tmp_path, names=names[:5] + ['000002.jpg'])  # in train
    with pytest.raises(ValueError, match=r"1 test images are also training "
                       r"or validation images \(e\.g\. \['000002\.jpg'\]\)"):
        PA100K(data_root=str(tmp_path), split='train')
    with pytest.warns(UserWarning, match='1 test images are also'):
        ds = PA100K(data_root=str(tmp_path), split='test',
                    allow_overlap=True)
    assert len(ds) == 2
    write_pa100k(tmp_path, names=names[:2] + ['000001.jpg'] + names[3:])
    with pytest.raises(ValueError, match=r"split 'train' lists 1 images more "
                       r"than once \(e\.g\. \['000001\.jpg'\]\)"):
        PA100K(data_root=str(tmp_path), split='test')


def test_an_empty_split_is_named(tmp_path):
    names = [f'{i:06d}.jpg' for i in range(1, 5)]
    labels = np.zeros((4, 3), np.uint8)
    sio.savemat(
        osp.join(tmp_path, 'annotation.mat'),
        dict(attributes=cell(['Female', 'Hat', 'boots']),
             train_images_name=cell(names[:3]), train_label=labels[:3],
             val_images_name=cell(names[3:]), val_label=labels[3:],
             test_images_name=np.empty((0, 1), object),
             test_label=np.zeros((0, 3), np.uint8)))
    with pytest.raises(ValueError, match="the 'test' split is empty"):
        PA100K(data_root=str(tmp_path), split='test')
