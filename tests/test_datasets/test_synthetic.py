import json

import numpy as np

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
