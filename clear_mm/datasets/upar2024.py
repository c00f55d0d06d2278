import csv
import io
import os.path as osp
from typing import Dict, Optional

import numpy as np

from clear_mm.registry import DATASETS
from clear_mm.structures.schema import flag
from clear_mm.utils.io import read_utf8
from .base_par_dataset import AttributeTable, BasePARDataset

_COLORS = ('Black', 'Blue', 'Brown', 'Green', 'Grey', 'Orange', 'Pink',
           'Purple', 'Red', 'White', 'Yellow', 'Other')
# The 40 attributes of the UPAR 2024 challenge, in the official column order.
UPAR_ATTRIBUTES = [
    'Age-Young', 'Age-Adult', 'Age-Old', 'Gender-Female',
    'Hair-Length-Short', 'Hair-Length-Long', 'Hair-Length-Bald',
    'UpperBody-Length-Short',
    *[f'UpperBody-Color-{c}' for c in _COLORS],
    'LowerBody-Length-Short',
    *[f'LowerBody-Color-{c}' for c in _COLORS],
    'LowerBody-Type-Trousers&Shorts', 'LowerBody-Type-Skirt&Dress',
    'Accessory-Backpack', 'Accessory-Bag', 'Accessory-Glasses-Normal',
    'Accessory-Glasses-Sun', 'Accessory-Hat'
]
UPAR_GROUPS = {
    'age': UPAR_ATTRIBUTES[0:3],
    'gender': UPAR_ATTRIBUTES[3:4],
    'hair_length': UPAR_ATTRIBUTES[4:7],
    'upper_length': UPAR_ATTRIBUTES[7:8],
    'upper_color': UPAR_ATTRIBUTES[8:20],
    'lower_length': UPAR_ATTRIBUTES[20:21],
    'lower_color': UPAR_ATTRIBUTES[21:33],
    'lower_type': UPAR_ATTRIBUTES[33:35],
    'backpack': UPAR_ATTRIBUTES[35:36],
    'bag': UPAR_ATTRIBUTES[36:37],
    'glasses': UPAR_ATTRIBUTES[37:39],
    'hat': UPAR_ATTRIBUTES[39:40],
}
UPAR_EXCLUSION_RULES = dict(
    age='one', hair_length='at_most_one', lower_type='at_most_one')
UPAR_DESCRIPTIONS = {
    'Age-Young': ('age', 'young', None),
    'Age-Adult': ('age', 'adult', None),
    'Age-Old': ('age', 'elderly', None),
    'Gender-Female': ('gender', 'woman', 'man'),
    'Hair-Length-Short': ('hair', 'short', None),
    'Hair-Length-Long': ('hair', 'long', None),
    'Hair-Length-Bald': ('hair', 'bald', None),
    'UpperBody-Length-Short': ('sleeve', 'short', 'long'),
    'LowerBody-Length-Short': ('lower_motif', 'short', 'long'),
    'LowerBody-Type-Trousers&Shorts': ('lower', 'trousers or shorts', None),
    'LowerBody-Type-Skirt&Dress': ('lower', 'skirt or dress', None),
    'Accessory-Backpack': flag('bag', 'a backpack'),
    'Accessory-Bag': flag('bag', 'a bag'),
    'Accessory-Glasses-Normal': flag('accessory', 'glasses'),
    'Accessory-Glasses-Sun': flag('accessory', 'sunglasses'),
    'Accessory-Hat': flag('accessory', 'a hat'),
}
for _c in ('Black', 'Blue', 'Brown', 'Green', 'Grey', 'Orange', 'Pink',
           'Purple', 'Red', 'White', 'Yellow', 'Other'):
    _word = 'other-coloured' if _c == 'Other' else _c.lower()
    UPAR_DESCRIPTIONS[f'UpperBody-Color-{_c}'] = ('upper_color', _word, None)
    UPAR_DESCRIPTIONS[f'LowerBody-Color-{_c}'] = ('lower_color', _word, None)
DEFAULT_ANN_FILES = dict(
    train='annotations/train.csv',
    val='annotations/val.csv',
    test='annotations/test.csv')


@DATASETS.register_module()
class UPAR2024(BasePARDataset):
    """UPAR 2024 challenge (Cormier et al.), its annotation CSVs.

    Each CSV row is an image path relative to ``data_root`` followed by the
    40 binary attribute columns in the official order (``UPAR_ATTRIBUTES``).
    A header line ``# Image,Age-Young,...,Accessory-Hat`` is optional; when
    present it must name exactly these columns.

    Args:
        data_root (str): Defaults to 'data/UPAR2024'.
        ann_files (dict, optional): CSV of each split, relative to
            ``data_root``; ``trainval`` concatenates train and val unless
            given. Defaults to ``DEFAULT_ANN_FILES``.
        query_file (str, optional): The retrieval queries of the split
            (the challenge's query CSV), relative to ``data_root``: one 0/1
            vector of the 40 attributes per row, optionally preceded by a
            query id column, with the same optional header (the column
            names, with or without a leading ``#``). When not
            given, the queries are the split's distinct attribute vectors.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'UPAR 2024'
    METAINFO = dict(
        exclusion_rules=UPAR_EXCLUSION_RULES, descriptions=UPAR_DESCRIPTIONS)

    def __init__(self,
                 data_root: str = 'data/UPAR2024',
                 ann_files: Optional[Dict[str, str]] = None,
                 query_file: Optional[str] = None,
                 **kwargs):
        self.ann_files = dict(ann_files or DEFAULT_ANN_FILES)
        self.query_file = query_file
        super().__init__(data_root=data_root, img_prefix='', **kwargs)

    def get_query_attributes(self) -> np.ndarray:
        if self.query_file is None:
            return super().get_query_attributes()
        path = osp.join(self.data_root, self.query_file)
        _, queries = self._read_csv(path, leading_column=None)
        if not len(queries):
            raise ValueError(f'{path}: no query rows.')
        return queries

    def _read_csv(self, path: str, leading_column: Optional[bool] = True):
        """Rows of (leading column, 40 labels). ``leading_column=None``
        accepts rows with or without it (query files)."""
        names, rows = [], []
        path = self.require_file(path)
        text = read_utf8(path)
        for line_no, row in enumerate(
                csv.reader(io.StringIO(text, newline='')), start=1):
            if not row or not ''.join(row).strip():
                continue
            cells = [c.strip() for c in row]
            if (row[0].lstrip().startswith('#')
                    or cells[-len(UPAR_ATTRIBUTES):] == UPAR_ATTRIBUTES):
                header = [row[0].lstrip('# ').strip()] + row[1:]
                header = [h.strip() for h in header]
                if header[-len(UPAR_ATTRIBUTES):] != UPAR_ATTRIBUTES:
                    raise ValueError(
                        f'{path}:{line_no}: header columns {header[1:]} '
                        'differ from the official UPAR 2024 order '
                        f'{UPAR_ATTRIBUTES}.')
                continue
            n = len(UPAR_ATTRIBUTES)
            allowed = {True: (n + 1, ), False: (n, ),
                       None: (n, n + 1)}[leading_column]
            if len(row) not in allowed:
                what = ('the image path and ' if leading_column else
                        'an optional query id and ' if leading_column is
                        None else '')
                raise ValueError(
                    f'{path}:{line_no}: {len(row)} columns; expected '
                    f'{what}{n} attributes.')
            values = [v.strip() for v in row[-n:]]
            bad = [(UPAR_ATTRIBUTES[i], v) for i, v in enumerate(values)
                   if v not in ('0', '1', '0.0', '1.0')]
            if bad:
                raise ValueError(
                    f'{path}:{line_no}: values {bad[:3]}; UPAR labels '
                    'are 0 or 1.')
            values = [int(float(v)) for v in values]
            names.append(row[0].strip() if len(row) > n else '')
            rows.append(values)
        return names, np.asarray(rows, dtype=np.int64).reshape(
            -1, len(UPAR_ATTRIBUTES))

    def load_table(self) -> AttributeTable:
        needed = {self.split, self.pos_ratio_split}
        if 'trainval' in needed and 'trainval' not in self.ann_files:
            needed = (needed - {'trainval'}) | {'train', 'val'}
        names, labels, splits = [], [], {}
        for split in sorted(needed):
            if split not in self.ann_files:
                raise ValueError(f'UPAR2024: no CSV given for split {split!r} '
                                 f'(ann_files={self.ann_files}).')
            path = osp.join(self.data_root, self.ann_files[split])
            split_names, split_labels = self._read_csv(path)
            splits[split] = np.arange(len(names),
                                      len(names) + len(split_names))
            names += split_names
            labels.append(split_labels)
        if 'trainval' not in splits and {'train', 'val'} <= set(splits):
            splits['trainval'] = np.concatenate(
                [splits['train'], splits['val']])
        return AttributeTable(
            attributes=list(UPAR_ATTRIBUTES),
            img_paths=names,
            labels=np.concatenate(labels),
            splits=splits,
            groups=UPAR_GROUPS)
