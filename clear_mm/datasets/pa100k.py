import numpy as np
from mmpretrain.registry import DATASETS
from scipy.io import loadmat

from .base_par_dataset import AttributeTable, BasePARDataset, mat_str_list

PA100K_GROUPS = {
    'gender': ['Female'],
    'age': ['AgeOver60', 'Age18-60', 'AgeLess18'],
    'view': ['Front', 'Side', 'Back'],
    'head': ['Hat', 'Glasses'],
    'bag': ['HandBag', 'ShoulderBag', 'Backpack', 'HoldObjectsInFront'],
    'sleeve': ['ShortSleeve', 'LongSleeve'],
    'upper_motif': ['UpperStride', 'UpperLogo', 'UpperPlaid', 'UpperSplice'],
    'lower_motif': ['LowerStripe', 'LowerPattern'],
    'lower_clothing': ['LongCoat', 'Trousers', 'Shorts', 'Skirt&Dress'],
    'footwear': ['boots'],
}


@DATASETS.register_module()
class PA100K(BasePARDataset):
    """PA100K (Liu et al., ICCV 2017), official ``annotation.mat``.

    The file holds ``attributes`` (26 names) and, for each of train / val /
    test, ``*_images_name`` and ``*_label``: 80000 / 10000 / 10000 images.
    ``trainval`` is train followed by val.

    Layout (``data_root``)::

        annotation.mat
        data/000001.jpg ...

    Args:
        data_root (str): Defaults to 'data/PA100K'.
        ann_file (str): Defaults to 'annotation.mat'.
        img_prefix (str): Defaults to 'data'.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'PA100K'

    def __init__(self,
                 data_root: str = 'data/PA100K',
                 ann_file: str = 'annotation.mat',
                 img_prefix: str = 'data',
                 **kwargs):
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            img_prefix=img_prefix,
            **kwargs)

    def load_table(self) -> AttributeTable:
        mat = loadmat(self.require_file(self.ann_file))
        for key in ('attributes', 'train_images_name', 'train_label',
                    'val_images_name', 'val_label', 'test_images_name',
                    'test_label'):
            if key not in mat:
                raise KeyError(f'{self.ann_file}: missing field {key!r} of '
                               'the official PA100K annotation.mat.')
        names, labels, splits, start = [], [], {}, 0
        for split in ('train', 'val', 'test'):
            split_names = mat_str_list(mat[f'{split}_images_name'])
            names += split_names
            labels.append(np.asarray(mat[f'{split}_label'], dtype=np.int64))
            splits[split] = np.arange(start, start + len(split_names))
            start += len(split_names)
        splits['trainval'] = np.concatenate([splits['train'], splits['val']])
        attributes = mat_str_list(mat['attributes'])
        return AttributeTable(
            attributes=attributes,
            img_paths=names,
            labels=np.concatenate(labels),
            splits=splits,
            groups={k: v
                    for k, v in PA100K_GROUPS.items()
                    if set(v) <= set(attributes)})
