import numpy as np
from scipy.io import loadmat

from clear_mm.registry import DATASETS
from clear_mm.structures.schema import flag
from .base_par_dataset import (AttributeTable, BasePARDataset,
                               group_attributes, mat_str_list)


def rap_group(name: str) -> str:
    """RAP names carry their group as a prefix (``hs-Hat``, ``ub-Shirt``,
    ``attach-Backpack``); ``Age*``, ``Body*`` and ``Female`` are grouped by
    meaning."""
    if '-' in name and not name.startswith('Age'):
        return name.split('-')[0]
    for prefix, group in (('Age', 'age'), ('Body', 'body'),
                          ('Female', 'gender'), ('face', 'view'),
                          ('occlusion', 'occlusion')):
        if name.startswith(prefix):
            return group
    return 'role'  # Customer / Clerk


# RAP v2 (prefixed names) and RAP v1 (its `attribute_eng` without prefixes).
_RAP_CORE = {
    'Femal': ('gender', 'woman', 'man'),  # RAP v2's spelling
    'Female': ('gender', 'woman', 'man'),
    'AgeLess16': ('age', 'young', None),
    'Age17-30': ('age', 'young adult', None),
    'Age31-45': ('age', 'middle-aged', None),
    'Age46-60': ('age', 'older', None),
    'BodyFat': ('build', 'heavy', None),
    'BodyNormal': ('build', 'average-build', None),
    'BodyThin': ('build', 'thin', None),
    'Customer': ('role', 'customer', None),
    'Clerk': ('role', 'clerk', None),
    'Employee': ('role', 'employee', None),
    'BaldHead': ('hair', 'bald', None),
    'LongHair': ('hair', 'long', 'short'),
    'BlackHair': ('hair', 'black', None),
    'Hat': flag('accessory', 'a hat'),
    'Glasses': flag('accessory', 'glasses'),
    'Muffler': flag('accessory', 'a muffler'),
    'Shirt': ('upper', 'shirt', None),
    'Sweater': ('upper', 'sweater', None),
    'Vest': ('upper', 'vest', None),
    'TShirt': ('upper', 't-shirt', None),
    'Cotton': ('upper', 'cotton coat', None),
    'Jacket': ('upper', 'jacket', None),
    'Suit-Up': ('upper', 'suit', None),
    'SuitUp': ('upper', 'suit', None),
    'Tight': ('upper', 'tight top', None),
    'ShortSleeve': ('sleeve', 'short', 'long'),
    'LongTrousers': ('lower', 'long trousers', None),
    'Skirt': ('lower', 'skirt', None),
    'ShortSkirt': ('lower', 'short skirt', None),
    'Dress': ('lower', 'dress', None),
    'Jeans': ('lower', 'jeans', None),
    'TightTrousers': ('lower', 'tight trousers', None),
    'LeatherShoes': ('footwear', 'leather shoes', None),
    'Leather': ('footwear', 'leather shoes', None),
    'SportShoes': ('footwear', 'sport shoes', None),
    'Sports': ('footwear', 'sport shoes', None),
    'Boots': ('footwear', 'boots', None),
    'ClothShoes': ('footwear', 'cloth shoes', None),
    'Cloth': ('footwear', 'cloth shoes', None),
    'CasualShoes': ('footwear', 'casual shoes', None),
    'Casual': ('footwear', 'casual shoes', None),
    'Backpack': flag('bag', 'a backpack'),
    'SSBag': flag('bag', 'a shoulder bag'),
    'ShoulderBag': flag('bag', 'a shoulder bag'),
    'HandBag': flag('bag', 'a handbag'),
    'Box': ('bag', 'a box', None),
    'PlasticBag': ('bag', 'a plastic bag', None),
    'PaperBag': ('bag', 'a paper bag', None),
    'HandTrunk': ('bag', 'a hand trunk', None),
    'OtherAttchment': ('bag', 'another item', None),
    'Calling': ('action', 'calling', None),
    'Talking': ('action', 'talking', None),
    'Gathering': ('action', 'gathering', None),
    'Holding': ('action', 'holding something', None),
    'Pusing': ('action', 'pushing something', None),
    'Pushing': ('action', 'pushing something', None),
    'Pulling': ('action', 'pulling something', None),
    'CarryingbyArm': ('action', 'carrying by arm', None),
    'CarryingByArm': ('action', 'carrying by arm', None),
    'CarryingbyHand': ('action', 'carrying by hand', None),
    'CarryingByHand': ('action', 'carrying by hand', None),
}
RAP_DESCRIPTIONS = dict(_RAP_CORE)
for _prefix, _names in {
        'hs-': ('BaldHead', 'LongHair', 'BlackHair', 'Hat', 'Glasses',
                'Muffler'),
        'ub-': ('Shirt', 'Sweater', 'Vest', 'TShirt', 'Cotton', 'Jacket',
                'SuitUp', 'Tight', 'ShortSleeve'),
        'lb-': ('LongTrousers', 'Skirt', 'ShortSkirt', 'Dress', 'Jeans',
                'TightTrousers'),
        'shoes-': ('Leather', 'Sports', 'Boots', 'Cloth', 'Casual'),
        'attachment-': ('Backpack', 'ShoulderBag', 'HandBag', 'Box',
                        'PlasticBag', 'PaperBag', 'HandTrunk'),
        'action-': ('Calling', 'Talking', 'Gathering', 'Holding', 'Pushing',
                    'Pulling', 'CarryingByArm', 'CarryingByHand'),
}.items():
    for _n in _names:
        RAP_DESCRIPTIONS[_prefix + _n] = _RAP_CORE[_n]
RAP_DESCRIPTIONS.update({
    'ub-Others': ('upper', 'top of another kind', None),
    'shoes-Other': ('footwear', 'other shoes', None),
    'attachment-Other': ('bag', 'another item', None),
    'action-Other': ('action', 'doing something else', None),
})


@DATASETS.register_module()
class RAPv2(BasePARDataset):
    """RAP v2 (Li et al., TIP 2019) ``RAP_annotation.mat``; reads RAP v1 too.

    RAP v2 struct ``RAP_annotation``: ``name`` (image names), ``attribute``
    (152 names), ``data`` (labels), ``selected_attribute`` (the 54 evaluated
    attributes, 1-based) and ``partition_attribute`` (5 splits with
    ``train_index``, ``val_index``, ``test_index``, 1-based; trainval is
    train + val).

    RAP v1 struct: ``imagesname``, ``label`` (92 columns), ``attribute_eng``,
    ``attribute_exp`` (the 51 evaluated names) and ``partion`` (5 splits with
    ``train_index``/``test_index``; RAP v1 has no validation split, so
    ``trainval`` is its train split and ``val`` is not available).

    A label of 2 means "uncertain": it is not a positive, and the sample's
    ``gt_ignore`` mask weights it out of the loss.

    Fields are read by name, so either version is recognised from the file.

    Args:
        data_root (str): Defaults to 'data/RAPv2'.
        ann_file (str): Defaults to 'RAP_annotation.mat'.
        img_prefix (str): Defaults to 'RAP_dataset'.
        split_index (int): Which of the 5 splits. Defaults to 0.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'RAP'
    LABEL_VALUES = (0, 1, 2)
    LABEL_MEANING = '0, 1 or 2 (uncertain)'
    METAINFO = dict(descriptions=RAP_DESCRIPTIONS)

    def __init__(self,
                 data_root: str = 'data/RAPv2',
                 ann_file: str = 'RAP_annotation.mat',
                 img_prefix: str = 'RAP_dataset',
                 split_index: int = 0,
                 **kwargs):
        self.split_index = split_index
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            img_prefix=img_prefix,
            **kwargs)

    def _partition(self, partitions) -> np.void:
        partitions = np.asarray(partitions).ravel()
        if not 0 <= self.split_index < len(partitions):
            raise ValueError(f'RAP: split_index must be in [0, '
                             f'{len(partitions)}), got {self.split_index}.')
        return partitions[self.split_index][0, 0]

    def load_table(self) -> AttributeTable:
        mat = loadmat(self.require_file(self.ann_file))
        if 'RAP_annotation' not in mat:
            raise KeyError(f'{self.ann_file}: no `RAP_annotation` struct.')
        rap = mat['RAP_annotation'][0, 0]
        fields = set(rap.dtype.names)
        if {'name', 'data', 'selected_attribute'} <= fields:
            names = mat_str_list(rap['name'])
            labels = np.asarray(rap['data'])  # checked, then cast
            columns = np.asarray(rap['selected_attribute']).ravel() - 1
            attributes = [mat_str_list(rap['attribute'])[c] for c in columns]
            groups = group_attributes(attributes, rap_group)
            part = self._partition(rap['partition_attribute'])
            # the official file has train/val/test_index (1-based);
            # trainval is their union when the file has no trainval_index
            needed = {'train_index', 'val_index', 'test_index'}
            have = set(part.dtype.names or ())
            if not needed <= have:
                raise KeyError(
                    f'{self.ann_file}: partition_attribute[{self.split_index}]'
                    f' has fields {sorted(have)}; expected {sorted(needed)}.')
            splits = {
                s: np.asarray(part[f'{s}_index']).ravel().astype(np.int64) -
                1
                for s in ('train', 'val', 'test')
            }
            splits['trainval'] = (
                np.asarray(part['trainval_index']).ravel().astype(np.int64) -
                1 if 'trainval_index' in have else np.concatenate(
                    [splits['train'], splits['val']]))
        elif {'imagesname', 'label', 'attribute_exp'} <= fields:
            names = mat_str_list(rap['imagesname'])
            labels = np.asarray(rap['label'])  # checked, then cast
            # attribute_exp names the evaluated attributes, which are the
            # first columns of `label` (its names drop the 'hs-'/'ub-'...
            # prefixes of attribute_eng).
            attributes = mat_str_list(rap['attribute_exp'])
            columns = np.arange(len(attributes))
            # group by the prefixed names of the same columns
            prefixed = mat_str_list(rap['attribute_eng'])[:len(columns)]
            group_of = dict(zip(attributes, map(rap_group, prefixed)))
            groups = group_attributes(attributes, group_of.__getitem__)
            part = self._partition(rap['partion'])
            train = np.asarray(part['train_index']).ravel().astype(
                np.int64) - 1
            test = np.asarray(part['test_index']).ravel().astype(np.int64) - 1
            splits = dict(train=train, trainval=train, test=test)
        else:
            raise KeyError(
                f'{self.ann_file}: RAP_annotation has fields '
                f'{sorted(fields)}; expected those of RAP v2 (name, data, '
                'selected_attribute, partition_attribute) or RAP v1 '
                '(imagesname, label, attribute_exp, partion).')
        return AttributeTable(
            attributes=attributes,
            img_paths=names,
            labels=labels[:, columns],
            splits=splits,
            groups=groups)
