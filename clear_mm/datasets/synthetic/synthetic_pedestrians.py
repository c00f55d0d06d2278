import json
import os
import os.path as osp
from multiprocessing import Pool
from typing import Optional

import numpy as np
from mmengine.dist import barrier, get_rank
from mmpretrain.registry import DATASETS
from scipy.io import loadmat

from ..base_par_dataset import AttributeTable, BasePARDataset
from ..pa100k import PA100K_GROUPS
from .render import render_pedestrian

# The PA100K schema, in its official order.
ATTRIBUTES = [
    'Female', 'AgeOver60', 'Age18-60', 'AgeLess18', 'Front', 'Side', 'Back',
    'Hat', 'Glasses', 'HandBag', 'ShoulderBag', 'Backpack',
    'HoldObjectsInFront', 'ShortSleeve', 'LongSleeve', 'UpperStride',
    'UpperLogo', 'UpperPlaid', 'UpperSplice', 'LowerStripe', 'LowerPattern',
    'LongCoat', 'Trousers', 'Shorts', 'Skirt&Dress', 'boots'
]
# Bump when the drawing or the label model changes: invalidates caches.
GENERATOR_VERSION = 5


def sample_attributes(rng: np.random.Generator) -> dict:
    """Draw one imbalanced, co-occurring PA100K attribute vector."""
    a = dict.fromkeys(ATTRIBUTES, 0)
    a['Female'] = int(rng.random() < 0.45)
    age = rng.choice(['AgeOver60', 'Age18-60', 'AgeLess18'],
                     p=[0.07, 0.83, 0.10])
    a[age] = 1
    a[rng.choice(['Front', 'Side', 'Back'], p=[0.4, 0.3, 0.3])] = 1
    a['Hat'] = int(rng.random() < 0.2)
    a['Glasses'] = int(not a['Back'] and rng.random() < 0.25)
    a['Backpack'] = int(rng.random() < (0.4 if age == 'AgeLess18' else 0.22))
    a['ShoulderBag'] = int(rng.random() < (0.35 if a['Female'] else 0.2))
    a['HandBag'] = int(rng.random() < (0.3 if a['Female'] else 0.12))
    a['HoldObjectsInFront'] = int(not a['Back'] and rng.random() < 0.15)
    if a['Female']:
        lower = rng.choice(['Trousers', 'Shorts', 'Skirt&Dress'],
                           p=[0.5, 0.12, 0.38])
    else:
        lower = rng.choice(['Trousers', 'Shorts'], p=[0.8, 0.2])
    a[lower] = 1
    short_sleeve = rng.random() < (0.75 if lower == 'Shorts' else 0.35)
    a['ShortSleeve' if short_sleeve else 'LongSleeve'] = 1
    a['LongCoat'] = int(not short_sleeve and lower != 'Shorts'
                        and rng.random() < 0.25)
    motif = rng.choice(['UpperStride', 'UpperPlaid', 'UpperSplice', 'none'],
                       p=[0.14, 0.12, 0.14, 0.6])
    if motif != 'none':
        a[motif] = 1
    a['UpperLogo'] = int(not a['Back'] and rng.random() < 0.25)
    a['LowerStripe'] = int(rng.random() < 0.12)
    a['LowerPattern'] = int(not a['LowerStripe'] and rng.random() < 0.15)
    a['boots'] = int(rng.random() < (0.25 if a['Female'] else 0.1))
    return a


def _render_one(args) -> None:
    index, seed, labels, path = args
    rng = np.random.default_rng([seed, index, 1])
    attr = dict(zip(ATTRIBUTES, (int(v) for v in labels)))
    render_pedestrian(attr, rng).save(path)


def generate_synthetic_dataset(root: str,
                               num_train: int = 3000,
                               num_val: int = 500,
                               num_test: int = 1000,
                               seed: int = 0,
                               label_source: Optional[str] = None,
                               workers: Optional[int] = None) -> dict:
    """Render the dataset to ``root`` unless an identical one is cached.

    The result is fully determined by the arguments: image ``i`` uses the
    random stream ``(seed, i)``. ``root/meta.json`` records the arguments,
    the labels and the splits; a cache made with other arguments is
    re-rendered.

    Args:
        root (str): Output folder (``images/`` and ``meta.json``).
        num_train, num_val, num_test (int): Split sizes.
        seed (int): Random seed.
        label_source (str, optional): A PA100K ``annotation.mat``; when given,
            label vectors are drawn from its training labels (real
            co-occurrence statistics) instead of the built-in model.
        workers (int, optional): Rendering processes. Defaults to the CPU
            count.

    Returns:
        dict: The content of ``meta.json``.
    """
    config = dict(
        version=GENERATOR_VERSION,
        num_train=num_train,
        num_val=num_val,
        num_test=num_test,
        seed=seed,
        label_source=osp.abspath(label_source) if label_source else None)
    meta_path = osp.join(root, 'meta.json')
    if osp.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('config') == config:
            return meta

    total = num_train + num_val + num_test
    rng = np.random.default_rng([seed, 0])
    if label_source:
        mat = loadmat(label_source)
        source = np.asarray(mat['train_label'], dtype=np.int64)
        if source.shape[1] != len(ATTRIBUTES):
            raise ValueError(f'{label_source}: train_label has '
                             f'{source.shape[1]} columns; expected the 26 '
                             'PA100K attributes.')
        labels = source[rng.integers(len(source), size=total)]
    else:
        samples = [sample_attributes(rng) for _ in range(total)]
        labels = np.array([[a[k] for k in ATTRIBUTES] for a in samples],
                          dtype=np.int64)

    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    names = [f'{i:06d}.png' for i in range(total)]
    jobs = [(i, seed, labels[i], osp.join(root, 'images', names[i]))
            for i in range(total)]
    workers = workers or os.cpu_count() or 1
    if workers > 1:
        with Pool(workers) as pool:
            pool.map(_render_one, jobs, chunksize=64)
    else:
        for job in jobs:
            _render_one(job)

    bounds = np.cumsum([0, num_train, num_val, num_test])
    meta = dict(
        config=config,
        attributes=ATTRIBUTES,
        images=names,
        labels=labels.tolist(),
        splits=dict(
            train=list(range(bounds[0], bounds[1])),
            val=list(range(bounds[1], bounds[2])),
            test=list(range(bounds[2], bounds[3]))))
    with open(meta_path, 'w') as f:
        json.dump(meta, f)
    return meta


@DATASETS.register_module()
class SyntheticPedestrians(BasePARDataset):
    """Synthetic pedestrians with the PA100K attribute schema.

    Rendered on first use (see :func:`generate_synthetic_dataset`) and
    cached in ``data_root``; later runs with the same arguments read the
    cache. In distributed runs rank 0 renders while the others wait.

    Args:
        data_root (str): Cache folder. Defaults to 'data/synthetic'.
        num_train, num_val, num_test (int): Split sizes.
        seed (int): Random seed. Defaults to 0.
        label_source (str, optional): A PA100K ``annotation.mat`` to draw
            real label vectors from. Defaults to None.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'the synthetic dataset'

    def __init__(self,
                 data_root: str = 'data/synthetic',
                 num_train: int = 3000,
                 num_val: int = 500,
                 num_test: int = 1000,
                 seed: int = 0,
                 label_source: Optional[str] = None,
                 **kwargs):
        self.generator_args = dict(
            num_train=num_train,
            num_val=num_val,
            num_test=num_test,
            seed=seed,
            label_source=label_source)
        super().__init__(data_root=data_root, img_prefix='images', **kwargs)

    def load_table(self) -> AttributeTable:
        if get_rank() == 0:
            meta = generate_synthetic_dataset(self.data_root,
                                              **self.generator_args)
        barrier()
        if get_rank() != 0:
            meta = generate_synthetic_dataset(self.data_root,
                                              **self.generator_args)
        splits = {k: np.asarray(v) for k, v in meta['splits'].items()}
        splits['trainval'] = np.concatenate([splits['train'], splits['val']])
        return AttributeTable(
            attributes=meta['attributes'],
            img_paths=meta['images'],
            labels=np.asarray(meta['labels'], dtype=np.int64),
            splits=splits,
            groups=PA100K_GROUPS)
