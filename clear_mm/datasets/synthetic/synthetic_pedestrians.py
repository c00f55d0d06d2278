import json
import os
import os.path as osp
import sys
from typing import Optional

import numpy as np
from mmengine.dist import barrier, get_rank
from mmengine.utils import track_parallel_progress, track_progress
from scipy.io import loadmat

from clear_mm.registry import DATASETS
from ..base_par_dataset import AttributeTable, BasePARDataset
from ..pa100k import PA100K_DESCRIPTIONS, PA100K_GROUPS, PA100K_SID_GROUPS
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


VIEWS = ('Front', 'Side', 'Back')


def _render_one(args) -> None:
    index, seed, labels, path, nuisance = args[:5]
    person = args[5] if len(args) > 5 else None
    rng = np.random.default_rng([seed, index, 1])
    looks = None if person is None else np.random.default_rng(
        [seed, person, 2])
    attr = dict(zip(ATTRIBUTES, (int(v) for v in labels)))
    render_pedestrian(attr, rng, looks, nuisance=nuisance).save(path)


def _identity_labels(rng: np.random.Generator, split_sizes, images_per_id,
                     num_cameras):
    """Identity mode: per split, persons with ``images_per_id`` images
    each, one attribute vector and appearance per person, the view drawn
    again for every image; camera = image position mod ``num_cameras``."""
    view_cols = [ATTRIBUTES.index(v) for v in VIEWS]
    labels, person_ids, camera_ids = [], [], []
    person = 0
    for size in split_sizes:
        if size % images_per_id:
            raise ValueError(
                f'Identity mode: split size {size} is not a multiple of '
                f'images_per_id={images_per_id}.')
        for _ in range(size // images_per_id):
            a = sample_attributes(rng)
            base = np.array([a[k] for k in ATTRIBUTES], dtype=np.int64)
            for j in range(images_per_id):
                row = base.copy()
                row[view_cols] = 0
                row[view_cols[rng.choice(3, p=[0.4, 0.3, 0.3])]] = 1
                labels.append(row)
                person_ids.append(person)
                camera_ids.append(j % num_cameras)
            person += 1
    return (np.stack(labels), np.asarray(person_ids),
            np.asarray(camera_ids))


def generate_synthetic_dataset(root: str,
                               num_train: int = 3000,
                               num_val: int = 500,
                               num_test: int = 1000,
                               seed: int = 0,
                               label_source: Optional[str] = None,
                               workers: Optional[int] = None,
                               identities: Optional[dict] = None,
                               nuisance: float = 1.0) -> dict:
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
        identities (dict, optional): Identity mode, for re-identification
            (Cerberus): ``images_per_id`` (default 4) and ``num_cameras``
            (default 3). Every split then consists of persons with
            ``images_per_id`` images sharing one attribute vector (the view
            excepted) and one appearance; ``meta.json`` adds ``person_ids``,
            ``camera_ids`` and the splits ``query`` (each test person's
            first image), ``gallery`` (the other test images) and ``reid``
            (query then gallery). Split sizes must be multiples of
            ``images_per_id``. Defaults to None (one image per person).
        nuisance (float): Strength of occlusion, blur, illumination and
            noise; 1 is the demo's, 2 and 3 the harder settings of the
            learnability study (docs/history.md). Defaults to 1.

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
    if nuisance != 1.0:  # the demo's caches stay valid
        if not nuisance > 0:
            raise ValueError(f'nuisance must be > 0, got {nuisance!r}.')
        config['nuisance'] = float(nuisance)
    if identities is not None:
        identities = dict(dict(images_per_id=4, num_cameras=3), **identities)
        unknown = set(identities) - {'images_per_id', 'num_cameras'}
        if unknown:
            raise ValueError(f'identities: unknown keys {sorted(unknown)}; '
                             "expected 'images_per_id', 'num_cameras'.")
        if label_source:
            raise ValueError('Identity mode draws its own labels; it cannot '
                             'be combined with label_source.')
        if min(identities.values()) < 1:
            raise ValueError(f'identities: images_per_id and num_cameras '
                             f'must be >= 1, got {identities}.')
        config['identities'] = identities
    meta_path = osp.join(root, 'meta.json')
    if osp.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('config') == config:
            return meta

    total = num_train + num_val + num_test
    rng = np.random.default_rng([seed, 0])
    person_ids = camera_ids = None
    if identities is not None:
        labels, person_ids, camera_ids = _identity_labels(
            rng, (num_train, num_val, num_test),
            identities['images_per_id'], identities['num_cameras'])
    elif label_source:
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
    jobs = [(i, seed, labels[i], osp.join(root, 'images', names[i]),
             float(nuisance))
            + (() if person_ids is None else (int(person_ids[i]), ))
            for i in range(total)]
    workers = workers or os.cpu_count() or 1
    print(f'Rendering {total} synthetic pedestrians into {root}',
          file=sys.stderr)
    if workers > 1:
        track_parallel_progress(
            _render_one, jobs, workers, chunksize=64, file=sys.stderr)
    else:
        track_progress(_render_one, jobs, file=sys.stderr)

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
    if identities is not None:
        test = np.arange(bounds[2], bounds[3])
        first = test[::identities['images_per_id']]
        gallery = np.setdiff1d(test, first)
        meta['person_ids'] = person_ids.tolist()
        meta['camera_ids'] = camera_ids.tolist()
        meta['splits'].update(
            query=first.tolist(), gallery=gallery.tolist(),
            reid=first.tolist() + gallery.tolist())
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
        identities (dict, optional): Identity mode (see
            :func:`generate_synthetic_dataset`): samples then carry
            ``person_id``, ``camera_id`` and ``is_query``, and the splits
            ``query``, ``gallery`` and ``reid`` exist. Defaults to None.
        nuisance (float): Strength of the photometric nuisances; 1 is the
            demo's. Defaults to 1.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'the synthetic dataset'
    # The PA100K schema; the renderer draws exactly one sleeve length.
    METAINFO = dict(
        exclusion_rules=dict(age='one', view='one', sleeve='one'),
        descriptions=PA100K_DESCRIPTIONS,
        sid_groups=PA100K_SID_GROUPS)
    EXTRA_SPLITS = ('query', 'gallery', 'reid')

    def __init__(self,
                 data_root: str = 'data/synthetic',
                 num_train: int = 3000,
                 num_val: int = 500,
                 num_test: int = 1000,
                 seed: int = 0,
                 label_source: Optional[str] = None,
                 identities: Optional[dict] = None,
                 nuisance: float = 1.0,
                 **kwargs):
        self.generator_args = dict(
            num_train=num_train,
            num_val=num_val,
            num_test=num_test,
            seed=seed,
            label_source=label_source,
            identities=identities,
            nuisance=nuisance)
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
        extra = {}
        if 'person_ids' in meta:
            is_query = np.zeros(len(meta['images']), dtype=bool)
            is_query[splits['query']] = True
            extra = dict(
                person_id=np.asarray(meta['person_ids'], dtype=np.int64),
                camera_id=np.asarray(meta['camera_ids'], dtype=np.int64),
                is_query=is_query)
        return AttributeTable(
            attributes=meta['attributes'],
            img_paths=meta['images'],
            labels=np.asarray(meta['labels'], dtype=np.int64),
            splits=splits,
            groups=PA100K_GROUPS,
            extra=extra)
