import re

import numpy as np
from mmpretrain.registry import DATASETS
from scipy.io import loadmat

from .base_par_dataset import (AttributeTable, BasePARDataset,
                               group_attributes, mat_str_list)

# The first meta columns of peta.data are (image index, person id, ...).
PETA_META_COLUMNS = 4


def peta_group(name: str) -> str:
    """PETA names start with their body part: ``upperBodyLogo`` -> upper
    body; ages (``personalLess30``) and gender (``personalMale``) apart."""
    if name.startswith(('personalLess', 'personalLarger')):
        return 'age'
    if name == 'personalMale':
        return 'gender'
    prefix = re.match(r'[a-z]+(Body)?', name).group(0)
    return re.sub('Body', '_body', prefix)


@DATASETS.register_module()
class PETA(BasePARDataset):
    """PETA (Deng et al., ACM MM 2014), ``PETA.mat`` of Rethinking-of-PAR.

    ``peta.data`` is ``(19000, 4 + 105)`` (4 meta columns, then the 105
    attribute labels), ``peta.attribute`` the 105 names,
    ``peta.selected_attribute`` the 1-based data columns of the 35 standard
    evaluated attributes, and ``peta.partion_attribute`` five random splits
    with 1-based image indices (split 0: 9500 / 1900 / 7600). Images are
    ``images/00001.png`` ... in the order of the rows.

    Args:
        data_root (str): Defaults to 'data/PETA'.
        ann_file (str): Defaults to 'PETA.mat'.
        img_prefix (str): Defaults to 'images'.
        split_index (int): Which of the 5 random splits. Defaults to 0.
        all_attributes (bool): Evaluate all 105 attributes instead of the
            standard 35. Defaults to False.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'PETA'

    def __init__(self,
                 data_root: str = 'data/PETA',
                 ann_file: str = 'PETA.mat',
                 img_prefix: str = 'images',
                 split_index: int = 0,
                 all_attributes: bool = False,
                 **kwargs):
        self.split_index = split_index
        self.all_attributes = all_attributes
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            img_prefix=img_prefix,
            **kwargs)

    def load_table(self) -> AttributeTable:
        mat = loadmat(self.require_file(self.ann_file))
        if 'peta' not in mat:
            raise KeyError(f'{self.ann_file}: no `peta` struct; is this the '
                           'PETA.mat of Rethinking-of-PAR?')
        peta = mat['peta'][0, 0]
        data = np.asarray(peta['data'], dtype=np.int64)
        names = mat_str_list(peta['attribute'])
        if self.all_attributes:
            columns = np.arange(PETA_META_COLUMNS, data.shape[1])
        else:
            columns = np.asarray(peta['selected_attribute']).ravel() - 1
            if ((columns < PETA_META_COLUMNS) |
                    (columns >= data.shape[1])).any():
                raise ValueError(
                    f'{self.ann_file}: peta.selected_attribute must index '
                    f'the attribute columns {PETA_META_COLUMNS + 1}..'
                    f'{data.shape[1]} (1-based), got {columns + 1}.')
        attributes = [names[c - PETA_META_COLUMNS] for c in columns]

        partitions = np.asarray(peta['partion_attribute']).ravel()
        if not 0 <= self.split_index < len(partitions):
            raise ValueError(f'PETA: split_index must be in [0, '
                             f'{len(partitions)}), got {self.split_index}.')
        part = partitions[self.split_index][0, 0]
        splits = {
            s: np.asarray(part[s]).ravel().astype(np.int64) - 1
            for s in ('train', 'val', 'test')
        }
        splits['trainval'] = np.concatenate([splits['train'], splits['val']])
        return AttributeTable(
            attributes=attributes,
            img_paths=[f'{i + 1:05d}.png' for i in range(len(data))],
            labels=data[:, columns],
            splits=splits,
            groups=group_attributes(attributes, peta_group))
