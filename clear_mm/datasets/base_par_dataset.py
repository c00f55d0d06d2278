import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from clear_mm.structures.schema import check_schema, plain, select_schema

SPLITS = ('train', 'val', 'test', 'trainval', 'all')
README_DATA = 'docs/datasets.md'


@dataclass
class AttributeTable:
    """Everything an official annotation file says, before splitting.

    Attributes:
        attributes (list[str]): Evaluated attribute names, in order.
        img_paths (list[str]): Image path of each sample, relative to the
            dataset's image folder.
        labels (np.ndarray): ``(num_samples, num_attributes)`` integer labels:
            1 positive, 0 negative, 2 uncertain (RAP).
        splits (dict[str, np.ndarray]): 0-based sample indices per split.
        extra (dict[str, np.ndarray]): Per-sample fields copied into each
            data info (e.g. ``person_id``, ``camera_id``).
        groups (dict[str, list[str]]): Attribute groups (e.g. mutually
            exclusive age bins), by attribute name.
    """
    attributes: List[str]
    img_paths: List[str]
    labels: np.ndarray
    splits: Dict[str, np.ndarray]
    extra: Dict[str, np.ndarray] = field(default_factory=dict)
    groups: Dict[str, List[str]] = field(default_factory=dict)


class BasePARDataset(BaseDataset):
    """Base of the pedestrian attribute datasets.

    A subclass reads its official annotation file in :meth:`load_table`; this
    class checks it, picks the split and fills the data infos. Construction
    reads annotations only: images are read by the pipeline, and a missing
    image raises an error naming its path at that moment.

    Each data info holds ``img_path``, ``gt_score`` (0/1 vector over the
    evaluated attributes), ``gt_ignore`` when the dataset has uncertain
    labels, and the table's extra fields. ``metainfo`` holds the
    dataset's schema (:mod:`clear_mm.structures.schema`): ``attributes``
    (evaluation order; also as ``classes``), ``attribute_groups``,
    ``exclusion_rules``, ``descriptions``, ``sid_groups`` where the dataset
    has them, and ``pos_ratio`` (positive ratio of each attribute in the
    *training* split, whatever ``split`` is). A subclass declares its
    schema in its ``METAINFO``; a config extends or overrides it with
    ``metainfo=dict(descriptions=..., exclusion_rules=...)``.

    Args:
        data_root (str): Dataset root folder.
        split (str): One of 'train', 'val', 'test', 'trainval', or 'all'
            (every image one of the file's splits lists, e.g. to evaluate a
            zero-shot model on the whole set).
        ann_file (str): Annotation file, relative to ``data_root``.
        img_prefix (str): Image folder, relative to ``data_root``.
        pos_ratio_split (str): Split the positive ratios come from.
            Defaults to 'train'.
        allow_overlap (bool): Warn instead of failing when a split lists an
            image twice or a test image is also a training or validation
            image. Defaults to False.
        keep_combinations (dict, optional): Keep only the images whose
            attribute vector is among a seeded random share of the split's
            distinct vectors: ``dict(fraction=0.5, seed=0)``. For the
            training split of a study of queries unseen in training (more
            of the test combinations are then new); the positive ratios
            still come from the whole ``pos_ratio_split``. Defaults to None
            (every image).
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """
    DATASET_NAME = 'dataset'
    # The label values the annotation format defines (RAP adds 2, uncertain)
    LABEL_VALUES: tuple = (0, 1)
    LABEL_MEANING = '0 or 1'
    # Re-identification splits a dataset may add (query, gallery, reid).
    EXTRA_SPLITS: tuple = ()

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: str = '',
                 img_prefix: str = '',
                 pos_ratio_split: str = 'train',
                 allow_overlap: bool = False,
                 keep_combinations: Optional[dict] = None,
                 **kwargs):
        if split not in SPLITS + self.EXTRA_SPLITS:
            raise ValueError(f'{type(self).__name__}: `split` must be one of '
                             f'{SPLITS + self.EXTRA_SPLITS}, got {split!r}.')
        self.split = split
        self.pos_ratio_split = pos_ratio_split
        self.allow_overlap = allow_overlap
        self.keep_combinations = None
        if keep_combinations is not None:
            keep = dict(keep_combinations)
            fraction, seed = keep.pop('fraction', None), keep.pop('seed', 0)
            if keep or fraction is None or not 0 < float(fraction) <= 1:
                raise ValueError(
                    f'{type(self).__name__}: keep_combinations must be '
                    'dict(fraction=f, seed=s) with 0 < f <= 1, got '
                    f'{keep_combinations!r}.')
            self.keep_combinations = (float(fraction), int(seed))
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=dict(img_path=img_prefix),
            **kwargs)

    # Subclasses implement this.
    def load_table(self) -> AttributeTable:
        raise NotImplementedError

    # Retrieval views of the split (CLEAR Sec. 4.1, ASMR protocol).
    def get_attribute_matrix(self) -> np.ndarray:
        """``(num_samples, num_attributes)`` 0/1 labels of this split."""
        self.full_init()
        if not len(self):
            return np.zeros((0, len(self.metainfo['attributes'])), np.int64)
        return np.stack([
            np.asarray(self.get_data_info(i)['gt_score'])
            for i in range(len(self))
        ]).astype(np.int64)

    def get_attribute_combinations(self) -> np.ndarray:
        """Distinct attribute vectors of this split, sorted: the proxies of
        retrieval training on the train split."""
        return np.unique(self.get_attribute_matrix(), axis=0)

    def get_query_attributes(self) -> np.ndarray:
        """Retrieval queries of this split used as gallery: its distinct
        attribute vectors (datasets with an official query list override
        this)."""
        return self.get_attribute_combinations()

    def require_file(self, path: str) -> str:
        """Return ``path`` if it exists, else raise an error that says where
        the file should come from."""
        if not osp.exists(path):
            raise FileNotFoundError(
                f'{type(self).__name__}: {path} does not exist. Download '
                f'{self.DATASET_NAME} and place it as described in '
                f'{README_DATA}, or set `data_root`/`ann_file` in the '
                'dataset config.')
        return path

    def _split_indices(self, table: AttributeTable, split: str) -> np.ndarray:
        if split == 'all' and 'all' not in table.splits:
            # every image some split of the file lists (zero-shot models
            # are evaluated on the whole set, paper 002 Table 4)
            listed = [np.asarray(v, dtype=np.int64).ravel()
                      for v in table.splits.values()]
            return np.unique(np.concatenate(listed)) if listed else \
                np.zeros(0, np.int64)
        if split not in table.splits:
            raise ValueError(
                f'{type(self).__name__} has no {split!r} split in '
                f'{self.ann_file}; available: {sorted(table.splits)}.')
        return np.asarray(table.splits[split], dtype=np.int64)

    def _check_table(self, table: AttributeTable) -> None:
        n, a = table.labels.shape
        if a != len(table.attributes):
            raise ValueError(
                f'{self.ann_file}: {a} label columns for '
                f'{len(table.attributes)} attribute names.')
        if n != len(table.img_paths):
            raise ValueError(f'{self.ann_file}: {n} label rows for '
                             f'{len(table.img_paths)} images.')
        # the values as read, before any cast (0.5 or 1.7 must not become
        # 0 or 1, NaN must not become an integer)
        bad = ~np.isin(table.labels, self.LABEL_VALUES)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            value = table.labels[row, col].item()
            raise ValueError(
                f'{self.ann_file}: label {value!r} of image '
                f'{table.img_paths[row]} (row {row}) for attribute '
                f'{table.attributes[col]!r}; {type(self).__name__} labels '
                f'are {self.LABEL_MEANING} ({int(bad.sum())} invalid '
                'values in all).')
        table.labels = table.labels.astype(np.int64)
        for name, idx in table.splits.items():
            idx = np.asarray(idx)
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise ValueError(
                    f'{self.ann_file}: split {name!r} indexes outside '
                    f'[0, {n}).')
        self._check_splits(table)

    def _check_splits(self, table: AttributeTable) -> None:
        """The loaded split is not empty, no split lists an image twice,
        and no test image is a training or validation image (leakage);
        ``allow_overlap=True`` turns the last two into warnings."""
        if self.split in table.splits and not len(table.splits[self.split]):
            raise ValueError(
                f'{self.ann_file}: the {self.split!r} split is empty '
                f'(split sizes: '
                f'{ {k: len(v) for k, v in table.splits.items()} }).')
        paths = {}
        problems = []
        for name, idx in table.splits.items():
            names = [table.img_paths[i] for i in np.asarray(idx)]
            paths[name] = set(names)
            if len(paths[name]) < len(names):
                seen, twice = set(), []
                for p in names:
                    if p in seen and p not in twice:
                        twice.append(p)
                    seen.add(p)
                problems.append(
                    f'split {name!r} lists {len(names) - len(paths[name])} '
                    f'images more than once (e.g. {twice[:3]})')
        train = paths.get('train', set()) | paths.get('val', set())
        shared = sorted(train & paths.get('test', set()))
        if shared:
            problems.append(
                f'{len(shared)} test images are also training or '
                f'validation images (e.g. {shared[:3]})')
        if not problems:
            return
        message = f'{self.ann_file}: ' + '; '.join(problems)
        if not self.allow_overlap:
            raise ValueError(
                message + '. Fix the split file, or pass allow_overlap=True '
                'to the dataset to go on with a warning.')
        warnings.warn(message + ' (allow_overlap=True).')

    def load_data_list(self) -> List[dict]:
        table = self.load_table()
        self._check_table(table)
        labels = table.labels
        has_uncertain = bool((labels == 2).any())

        ratio_idx = self._split_indices(table, self.pos_ratio_split)
        pos_ratio = (labels[ratio_idx] == 1).mean(axis=0)
        meta = dict(self._metainfo)
        meta.update(
            attributes=list(table.attributes),
            classes=list(table.attributes),
            pos_ratio=[float(r) for r in pos_ratio])
        # the config's metainfo=dict(attribute_groups=...) wins over the
        # groups read with the annotation
        meta.setdefault('attribute_groups',
                        {k: list(v)
                         for k, v in table.groups.items()})
        meta = plain(select_schema(meta, table.attributes,
                                   type(self).METAINFO))
        check_schema(meta, f'{type(self).__name__}.metainfo')
        self._metainfo = meta  # keys select_schema left out are gone

        data_list = []
        for i in self._kept(labels, self._split_indices(table, self.split)):
            info = dict(
                img_path=osp.join(self.data_prefix['img_path'],
                                  table.img_paths[i]),
                gt_score=(labels[i] == 1).astype(np.int64))
            if has_uncertain:
                info['gt_ignore'] = labels[i] == 2
            for key, values in table.extra.items():
                info[key] = values[i]
            data_list.append(info)
        return data_list

    def _kept(self, labels: np.ndarray, index: np.ndarray) -> np.ndarray:
        """``index`` restricted by ``keep_combinations``."""
        if self.keep_combinations is None or not len(index):
            return index
        fraction, seed = self.keep_combinations
        combos, inverse = np.unique(
            labels[index] == 1, axis=0, return_inverse=True)
        count = max(1, int(round(fraction * len(combos))))
        chosen = np.random.default_rng(seed).choice(
            len(combos), count, replace=False)
        return index[np.isin(inverse.ravel(), chosen)]


def mat_str_list(cell: np.ndarray) -> List[str]:
    """Strings of a MATLAB cell array as loaded by scipy (any shape)."""
    out = []
    for item in np.asarray(cell, dtype=object).ravel():
        while isinstance(item, np.ndarray):
            if item.size != 1:
                raise ValueError(
                    f'Expected a cell array of strings, got an element of '
                    f'shape {item.shape}.')
            item = item.ravel()[0]
        out.append(str(item).strip())
    return out


def group_attributes(names: Sequence[str],
                     group_of: Callable[[str], str]) -> Dict[str, List[str]]:
    """Attribute groups from a function naming each attribute's group,
    in the order the groups first appear."""
    groups: Dict[str, List[str]] = {}
    for name in names:
        groups.setdefault(group_of(name), []).append(name)
    return groups
