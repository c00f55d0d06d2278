import json
import re
from typing import Optional

import numpy as np
from scipy.io import loadmat

from clear_mm.registry import DATASETS
from clear_mm.structures.schema import flag
from .base_par_dataset import (AttributeTable, BasePARDataset,
                               group_attributes, mat_str_list)

# The first meta columns of peta.data are (image index, person id, ...).
PETA_META_COLUMNS = 4


def peta_group(name: str) -> str:
    """PETA names start with their body part: ``upperBodyLogo`` -> upper
    body; ages (``personalLess30``) and gender (``personalMale``) apart;
    the 11 colours of each part (only among all 105 attributes) are their
    own group, e.g. ``upper_body_color``."""
    if name.startswith(('personalLess', 'personalLarger')):
        return 'age'
    if name == 'personalMale':
        return 'gender'
    prefix = re.match(r'[a-z]+(Body)?', name).group(0)
    group = re.sub('Body', '_body', prefix)
    if re.fullmatch(prefix + '(' + '|'.join(_COLORS) + ')', name):
        return group + '_color'
    return group


# PETA's 35: the four age bins and the footwear types exclude each other;
# 86 and 3 of 9,500 training rows (split 0) have no age / two, 1 has two
# footwear types, so 'at_most_one' (the rest are free: clothes and carried
# objects combine).
PETA_EXCLUSION_RULES = dict(age='at_most_one', footwear='at_most_one')
# Pseudo-description entries of all 105 PETA names (the 35 evaluated ones
# are a subset).
_COLORS = ('Black', 'Blue', 'Brown', 'Green', 'Grey', 'Gray', 'Orange',
           'Pink', 'Purple', 'Red', 'White', 'Yellow')

PETA_DESCRIPTIONS = {
    'personalLess15': ('age', 'child', None),
    'personalLess30': ('age', 'young', None),
    'personalLess45': ('age', 'middle-aged', None),
    'personalLess60': ('age', 'older', None),
    'personalLarger60': ('age', 'elderly', None),
    'personalMale': ('gender', 'man', 'woman'),
    'personalFemale': ('gender', 'woman', None),
    'hairLong': ('hair', 'long', 'short'),
    'hairShort': ('hair', 'short', None),
    'hairBald': ('hair', 'bald', None),
    'upperBodyCasual': ('upper', 'casual top', None),
    'upperBodyFormal': ('upper', 'formal top', None),
    'upperBodyJacket': ('upper', 'jacket', None),
    'upperBodyLogo': ('motif', 'logo', None),
    'upperBodyPlaid': ('motif', 'plaid', None),
    'upperBodyThinStripes': ('motif', 'thin-striped', None),
    'upperBodyThickStripes': ('motif', 'thick-striped', None),
    'upperBodyShortSleeve': ('sleeve', 'short', None),
    'upperBodyLongSleeve': ('sleeve', 'long', None),
    'upperBodyNoSleeve': ('sleeve', 'no', None),
    'upperBodyTshirt': ('upper', 't-shirt', None),
    'upperBodyOther': ('upper', 'top of another kind', None),
    'upperBodyVNeck': ('upper', 'v-neck top', None),
    'upperBodySuit': ('upper', 'suit', None),
    'upperBodySweater': ('upper', 'sweater', None),
    'lowerBodyCasual': ('lower', 'casual trousers', None),
    'lowerBodyFormal': ('lower', 'formal trousers', None),
    'lowerBodyJeans': ('lower', 'jeans', None),
    'lowerBodyShorts': ('lower', 'shorts', None),
    'lowerBodyShortSkirt': ('lower', 'short skirt', None),
    'lowerBodyLongSkirt': ('lower', 'long skirt', None),
    'lowerBodyTrousers': ('lower', 'trousers', None),
    'lowerBodyCapri': ('lower', 'capri pants', None),
    'lowerBodyHotPants': ('lower', 'hot pants', None),
    'lowerBodySuits': ('lower', 'suit trousers', None),
    'lowerBodyPlaid': ('lower_motif', 'plaid', None),
    'lowerBodyThinStripes': ('lower_motif', 'striped', None),
    'accessoryHat': flag('accessory', 'a hat'),
    'accessoryMuffler': flag('accessory', 'a muffler'),
    'accessorySunglasses': flag('accessory', 'sunglasses'),
    'accessoryNothing': ('accessory', 'no accessories', None),
    'accessoryHeadphone': ('accessory', 'headphones', None),
    'accessoryHairBand': ('accessory', 'a hair band', None),
    'accessoryKerchief': ('accessory', 'a kerchief', None),
    'footwearLeatherShoes': ('footwear', 'leather shoes', None),
    'footwearSandals': ('footwear', 'sandals', None),
    'footwearShoes': ('footwear', 'shoes', None),
    'footwearSneaker': ('footwear', 'sneakers', None),
    'footwearBoots': ('footwear', 'boots', None),
    'footwearStocking': ('footwear', 'stockings', None),
    'carryingBackpack': flag('bag', 'a backpack'),
    'carryingMessengerBag': flag('bag', 'a messenger bag'),
    'carryingPlasticBags': flag('bag', 'a plastic bag'),
    'carryingOther': ('bag', 'another item', None),
    'carryingNothing': ('bag', 'nothing', None),
    'carryingBabyBuggy': ('bag', 'a baby buggy', None),
    'carryingShoppingTro': ('bag', 'a shopping trolley', None),
    'carryingUmbrella': ('bag', 'an umbrella', None),
    'carryingFolder': ('bag', 'a folder', None),
    'carryingLuggageCase': ('bag', 'a luggage case', None),
    'carryingSuitcase': ('bag', 'a suitcase', None),
}
for _c in _COLORS:
    PETA_DESCRIPTIONS[f'upperBody{_c}'] = ('upper_color', _c.lower(), None)
    PETA_DESCRIPTIONS[f'lowerBody{_c}'] = ('lower_color', _c.lower(), None)
    PETA_DESCRIPTIONS[f'hair{_c}'] = ('hair', _c.lower(), None)
    PETA_DESCRIPTIONS[f'footwear{_c}'] = ('footwear', f'{_c.lower()} shoes',
                                          None)


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
        split_file (str, optional): A JSON file ``{"train": [...], "val":
            [...], "test": [...]}`` of 1-based image numbers (``00001.png``
            is 1; ``val`` may be absent or empty) used instead of
            ``split_index``, e.g. the 15,067 / 3,933 split of CLEAR's
            Table 1, which the public files do not have. Defaults to None.
        all_attributes (bool): Evaluate all 105 attributes instead of the
            standard 35 (Table 1's 65 for retrieval: 61 binary + the four
            multi-class colour groups). Defaults to False.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'PETA'
    METAINFO = dict(
        exclusion_rules=PETA_EXCLUSION_RULES,
        descriptions=PETA_DESCRIPTIONS,
        # all 105: 61 binary attributes + 4 multi-class colours = Table 1's
        # 65 (a few images carry two colours of a part)
        multiclass_groups=[
            'upper_body_color', 'lower_body_color', 'hair_color',
            'footwear_color'
        ])

    def __init__(self,
                 data_root: str = 'data/PETA',
                 ann_file: str = 'PETA.mat',
                 img_prefix: str = 'images',
                 split_index: int = 0,
                 split_file: Optional[str] = None,
                 all_attributes: bool = False,
                 **kwargs):
        self.split_index = split_index
        self.split_file = split_file
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
        data = np.asarray(peta['data'])  # labels checked, then cast
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

        if self.split_file:
            splits = self._read_split_file(len(data))
        else:
            partitions = np.asarray(peta['partion_attribute']).ravel()
            if not 0 <= self.split_index < len(partitions):
                raise ValueError(
                    f'PETA: split_index must be in [0, {len(partitions)}), '
                    f'got {self.split_index}.')
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

    def _read_split_file(self, num_images: int) -> dict:
        """0-based indices of a ``split_file`` (1-based image numbers)."""
        path = self.require_file(self.split_file)
        try:
            with open(path) as f:
                raw = json.load(f)
        except ValueError as e:
            raise ValueError(f'{path}: not JSON ({e}); expected {{"train": '
                             '[...], "val": [...], "test": [...]}.') from None
        if not isinstance(raw, dict) or not {'train', 'test'} <= set(raw):
            raise ValueError(f'{path}: expected an object with "train" and '
                             '"test" lists of image numbers (and "val").')
        splits = {}
        for name in ('train', 'val', 'test'):
            values = raw.get(name) or []
            bad = [
                v for v in values if isinstance(v, bool)
                or not isinstance(v, int) or not 1 <= v <= num_images
            ]
            if bad:
                raise ValueError(
                    f'{path}: "{name}" has {bad[:5]}; image numbers are '
                    f'integers in 1..{num_images} (00001.png is 1).')
            splits[name] = np.asarray(values, dtype=np.int64) - 1
        return splits
