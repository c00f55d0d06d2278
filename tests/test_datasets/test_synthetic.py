import json

import numpy as np
import pytest

from clear_mm.datasets import SyntheticPedestrians, generate_synthetic_dataset
from clear_mm.datasets.synthetic import ATTRIBUTES, sample_attributes


def test_label_model_is_imbalanced_and_consistent():
    rng = np.random.default_rng(0)
    labels = np.array([[a[k] for k in ATTRIBUTES]
                       for a in (sample_attributes(rng) for _ in range(3000))])
    col = {k: i for i, k in enumerate(ATTRIBUTES)}
    # exactly one age, one view, one sleeve length and one lower garment
    for group in (['AgeOver60', 'Age18-60', 'AgeLess18'],
                  ['Front', 'Side', 'Back'], ['ShortSleeve', 'LongSleeve'],
                  ['Trousers', 'Shorts', 'Skirt&Dress']):
        assert (labels[:, [col[g] for g in group]].sum(1) == 1).all()
    ratio = labels.mean(0)
    assert ratio.min() < 0.15 and ratio.max() > 0.8  # imbalanced
    female = labels[:, col['Female']] == 1
    skirt = labels[:, col['Skirt&Dress']] == 1
    assert skirt[female].mean() > 0.3 and not skirt[~female].any()


def test_generation_is_deterministic_and_cached(tmp_path):
    kw = dict(num_train=6, num_val=2, num_test=2, seed=3, workers=1)
    meta = generate_synthetic_dataset(str(tmp_path / 'a'), **kw)
    again = generate_synthetic_dataset(str(tmp_path / 'b'), **kw)
    assert meta['labels'] == again['labels']
    for name in meta['images']:
        a = (tmp_path / 'a' / 'images' / name).read_bytes()
        assert a == (tmp_path / 'b' / 'images' / name).read_bytes()
    stamp = (tmp_path / 'a' / 'meta.json').stat().st_mtime_ns
    generate_synthetic_dataset(str(tmp_path / 'a'), **kw)  # cache hit
    assert (tmp_path / 'a' / 'meta.json').stat().st_mtime_ns == stamp
    other = generate_synthetic_dataset(
        str(tmp_path / 'a'), **{**kw, 'seed': 4})  # other args: re-render
    assert other['labels'] != meta['labels']


def test_dataset_reads_images(tmp_path):
    ds = SyntheticPedestrians(
        data_root=str(tmp_path),
        num_train=4,
        num_val=1,
        num_test=3,
        split='test',
        pipeline=[dict(type='LoadPedestrianImage'),
                  dict(type='PackInputs')])
    assert len(ds) == 3 and len(ds.metainfo['attributes']) == 26
    item = ds[0]
    assert tuple(item['inputs'].shape) == (3, 256, 128)
    meta = json.loads((tmp_path / 'meta.json').read_text())
    assert item['data_samples'].gt_score.tolist() == meta['labels'][5]


def test_identity_mode(tmp_path):
    """Persons of 4 images: one attribute vector except the view, one
    appearance, cameras 0, 1, 2, 0; query = each test person's first
    image, gallery = the rest."""
    from clear_mm.datasets.synthetic.synthetic_pedestrians import VIEWS
    kwargs = dict(num_train=8, num_val=4, num_test=8, seed=2, workers=1,
                  identities=dict(images_per_id=4, num_cameras=3))
    meta = generate_synthetic_dataset(str(tmp_path), **kwargs)
    labels = np.array(meta['labels'])
    pids = np.array(meta['person_ids'])
    assert pids.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4
    assert meta['camera_ids'][:4] == [0, 1, 2, 0]
    person = [i for i, a in enumerate(ATTRIBUTES) if a not in VIEWS]
    for p in range(5):
        rows = labels[pids == p][:, person]
        assert (rows == rows[0]).all()
    assert (labels[:, [ATTRIBUTES.index(v) for v in VIEWS]].sum(1) == 1).all()
    assert meta['splits']['query'] == [12, 16]
    assert meta['splits']['gallery'] == [13, 14, 15, 17, 18, 19]
    ds = SyntheticPedestrians(data_root=str(tmp_path), split='reid',
                              **{k: v for k, v in kwargs.items()
                                 if k != 'workers'})
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [i['is_query'] for i in infos] == [True] * 2 + [False] * 6
    assert {i['person_id'] for i in infos} == {3, 4}
    with pytest.raises(ValueError, match='multiple of images_per_id'):
        generate_synthetic_dataset(str(tmp_path / 'b'), num_train=6,
                                   num_val=4, num_test=8, workers=1,
                                   identities=dict(images_per_id=4))
    with pytest.raises(ValueError, match='>= 1'):
        generate_synthetic_dataset(str(tmp_path / 'c'), workers=1,
                                   identities=dict(images_per_id=0))
    with pytest.raises(ValueError, match="unknown keys \\['ids'\\]"):
        generate_synthetic_dataset(str(tmp_path / 'd'), workers=1,
                                   identities=dict(ids=3))
