import numpy as np
from scipy.io import loadmat

from clear_mm.registry import DATASETS
from clear_mm.structures.schema import flag
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
# Exactly one age and one view; at most one sleeve length.
PA100K_EXCLUSION_RULES = dict(age='one', view='one', sleeve='at_most_one')
# Pseudo-description entry of each attribute (CLEAR Eq. 7).
PA100K_DESCRIPTIONS = {
    'Female': ('gender', 'woman', 'man'),
    'AgeOver60': ('age', 'elderly', None),
    'Age18-60': ('age', 'adult', None),
    'AgeLess18': ('age', 'young', None),
    'Front': ('view', 'the front', None),
    'Side': ('view', 'the side', None),
    'Back': ('view', 'the back', None),
    'Hat': flag('accessory', 'a hat'),
    'Glasses': flag('accessory', 'glasses'),
    'HandBag': flag('bag', 'a handbag'),
    'ShoulderBag': flag('bag', 'a shoulder bag'),
    'Backpack': flag('bag', 'a backpack'),
    'HoldObjectsInFront': ('bag', 'objects in front', None),
    'ShortSleeve': ('sleeve', 'short', None),
    'LongSleeve': ('sleeve', 'long', None),
    'UpperStride': ('motif', 'striped', None),
    'UpperLogo': ('motif', 'logo', None),
    'UpperPlaid': ('motif', 'plaid', None),
    'UpperSplice': ('motif', 'spliced', None),
    'LowerStripe': ('lower_motif', 'striped', None),
    'LowerPattern': ('lower_motif', 'patterned', None),
    'LongCoat': ('upper', 'long coat', None),
    'Trousers': ('lower', 'trousers', None),
    'Shorts': ('lower', 'shorts', None),
    'Skirt&Dress': ('lower', 'skirt or dress', None),
    'boots': ('footwear', 'boots', None),
}
# Cerberus' semantic-ID groups (paper 003, Table 1, on this schema); the
# view (Front/Side/Back) is a property of the image, not the person, and in
# no group.
PA100K_SID_GROUPS = dict(
    head=['Hat', 'Glasses'],
    upper=['ShortSleeve', 'LongSleeve', 'UpperStride', 'UpperLogo',
           'UpperPlaid', 'UpperSplice', 'LongCoat'],
    lower=['LowerStripe', 'LowerPattern', 'Trousers', 'Shorts',
           'Skirt&Dress', 'boots'],
    identity=['Female', 'AgeOver60', 'Age18-60', 'AgeLess18'],
    carrying=['HandBag', 'ShoulderBag', 'Backpack', 'HoldObjectsInFront'])


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
    METAINFO = dict(
        exclusion_rules=PA100K_EXCLUSION_RULES,
        descriptions=PA100K_DESCRIPTIONS,
        sid_groups=PA100K_SID_GROUPS)

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
            # as read: checked by the base class, then cast
            labels.append(np.asarray(mat[f'{split}_label']))
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
