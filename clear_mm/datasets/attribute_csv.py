import csv
import io
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from clear_mm.registry import DATASETS
from clear_mm.utils.io import read_utf8
from .base_par_dataset import AttributeTable, BasePARDataset

DEFAULT_FILES = dict(
    train='train.csv', val='val.csv', test='test.csv')


@DATASETS.register_module()
class AttributeCSV(BasePARDataset):
    """A pedestrian-attribute dataset of your own, from CSV or TSV files:
    no subclass needed.

    One file per split (``ann_files``; by default ``train.csv``,
    ``val.csv``, ``test.csv`` under ``data_root``; only the train file is
    required). Each starts with a header row: the image column, then one
    column per attribute, named; every other row is an image path (relative
    to ``img_prefix``) and its labels, 0 or 1 (and 2 = uncertain with
    ``uncertain=True``). A ``.tsv`` file is tab-separated. All files must
    have the same header. The schema (attribute groups, exclusion rules,
    description phrases for retrieval) comes from the config's
    ``metainfo=dict(attribute_groups=..., exclusion_rules=...,
    descriptions=...)``.

    Args:
        data_root (str): The dataset folder.
        ann_files (dict, optional): ``{split: file}``, relative to
            ``data_root``. Defaults to train/val/test ``.csv``.
        img_prefix (str): Image folder, relative to ``data_root``.
            Defaults to ''.
        uncertain (bool): Accept the label 2 (uncertain: a negative for
            the metrics, weighted out of the loss). Defaults to False.
        **kwargs: See :class:`BasePARDataset` (``split``, ``metainfo``,
            ``pipeline``, ...).
    """
    DATASET_NAME = 'your dataset'

    def __init__(self,
                 data_root: str,
                 ann_files: Optional[Dict[str, str]] = None,
                 img_prefix: str = '',
                 uncertain: bool = False,
                 **kwargs):
        self.ann_files = dict(ann_files or DEFAULT_FILES)
        if uncertain:
            self.LABEL_VALUES = (0, 1, 2)
            self.LABEL_MEANING = '0, 1 or 2 (uncertain)'
        super().__init__(
            data_root=data_root, ann_file=self.ann_files.get('train', ''),
            img_prefix=img_prefix, **kwargs)

    def _read(self, path: str) -> Tuple[List[str], List[str], np.ndarray]:
        """Header attributes, image paths and raw label values of a file."""
        text = read_utf8(path)
        delimiter = '\t' if path.endswith('.tsv') else ','
        rows = [r for r in csv.reader(io.StringIO(text, newline=''),
                                      delimiter=delimiter)
                if r and ''.join(r).strip()]
        if not rows:
            raise ValueError(f'{path} is empty; expected a header row '
                             '(image column, then the attribute names).')
        header = [c.strip() for c in rows[0]]
        attributes = header[1:]
        if not attributes or not all(attributes):
            raise ValueError(
                f'{path}:1: the header {header} must name the image column '
                'and then every attribute column.')
        twice = sorted({a for a in attributes if attributes.count(a) > 1})
        if twice:
            raise ValueError(f'{path}:1: attributes named twice: {twice}.')
        paths, values = [], []
        for line, row in enumerate(rows[1:], start=2):
            if len(row) != len(header):
                raise ValueError(
                    f'{path}:{line}: {len(row)} columns; the header has '
                    f'{len(header)} (image path + {len(attributes)} '
                    'attributes).')
            cells = [c.strip() for c in row[1:]]
            try:
                values.append([float(c) for c in cells])
            except ValueError:
                bad = next(c for c in cells if not _is_number(c))
                raise ValueError(
                    f'{path}:{line}: label {bad!r} of '
                    f'{attributes[cells.index(bad)]!r} is not a number; '
                    f'{self.DATASET_NAME} labels are {self.LABEL_MEANING}.'
                ) from None
            paths.append(row[0].strip())
        labels = np.asarray(values, dtype=float).reshape(-1, len(attributes))
        bad = ~np.isin(labels, self.LABEL_VALUES)  # NaN, 0.5, -1, ...
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f'{path}:{row + 2}: label {rows[row + 1][col + 1].strip()!r} '
                f'of {paths[row]} for attribute {attributes[col]!r}; '
                f'{self.DATASET_NAME} labels are {self.LABEL_MEANING} '
                f'({int(bad.sum())} invalid values in the file).')
        return attributes, paths, labels

    def load_table(self) -> AttributeTable:
        attributes, img_paths, labels, splits = None, [], [], {}
        for split, name in self.ann_files.items():
            path = osp.join(self.data_root, name)
            if split == 'train':
                path = self.require_file(path)
            elif not osp.exists(path):
                continue
            header, paths, values = self._read(path)
            if attributes is None:
                attributes, first = header, path
            elif header != attributes:
                raise ValueError(
                    f'{path}: header {header} differs from {first}\'s '
                    f'{attributes}; all split files must have the same.')
            start = len(img_paths)
            img_paths += paths
            labels.append(values)
            splits[split] = np.arange(start, len(img_paths))
        if 'train' in splits and 'val' in splits:
            splits.setdefault('trainval', np.concatenate(
                [splits['train'], splits['val']]))
        return AttributeTable(
            attributes=attributes,
            img_paths=img_paths,
            labels=np.concatenate(labels),
            splits=splits)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
