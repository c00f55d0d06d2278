import os
import os.path as osp
import re

import numpy as np
from scipy.io import loadmat

from clear_mm.registry import DATASETS
from clear_mm.structures.schema import flag
from .base_par_dataset import AttributeTable, BasePARDataset, mat_str_list

# Binarized attribute -> (field of market_attribute.mat, value meaning 1).
# Binary fields use 1 = no / first option and 2 = yes / second option; age is
# 1..4 (young, teenager, adult, old) and becomes four one-hot attributes.
MARKET_ATTRIBUTES = [
    ('age_young', 'age', 1),
    ('age_teenager', 'age', 2),
    ('age_adult', 'age', 3),
    ('age_old', 'age', 4),
    ('backpack', 'backpack', 2),
    ('bag', 'bag', 2),
    ('handbag', 'handbag', 2),
    ('down_black', 'downblack', 2),
    ('down_blue', 'downblue', 2),
    ('down_brown', 'downbrown', 2),
    ('down_gray', 'downgray', 2),
    ('down_green', 'downgreen', 2),
    ('down_pink', 'downpink', 2),
    ('down_purple', 'downpurple', 2),
    ('down_white', 'downwhite', 2),
    ('down_yellow', 'downyellow', 2),
    ('up_black', 'upblack', 2),
    ('up_blue', 'upblue', 2),
    ('up_green', 'upgreen', 2),
    ('up_gray', 'upgray', 2),
    ('up_purple', 'uppurple', 2),
    ('up_red', 'upred', 2),
    ('up_white', 'upwhite', 2),
    ('up_yellow', 'upyellow', 2),
    ('lower_pants', 'clothes', 2),  # 1: dress, 2: pants
    ('lower_short', 'down', 2),  # 1: long lower body clothing, 2: short
    ('short_sleeve', 'up', 2),  # 1: long sleeve, 2: short sleeve
    ('long_hair', 'hair', 2),  # 1: short hair, 2: long hair
    ('hat', 'hat', 2),
    ('female', 'gender', 2),  # 1: male, 2: female
]
MARKET_GROUPS = {
    'age': ['age_young', 'age_teenager', 'age_adult', 'age_old'],
    'bag': ['backpack', 'bag', 'handbag'],
    'lower_color': [a for a, _, _ in MARKET_ATTRIBUTES if a[:5] == 'down_'],
    'upper_color': [a for a, _, _ in MARKET_ATTRIBUTES if a[:3] == 'up_'],
    'lower_clothing': ['lower_pants', 'lower_short'],
    'sleeve': ['short_sleeve'],
    'hair': ['long_hair'],
    'hat': ['hat'],
    'gender': ['female'],
}
MARKET_EXCLUSION_RULES = dict(age='one')
MARKET_DESCRIPTIONS = {
    'age_young': ('age', 'young', None),
    'age_teenager': ('age', 'teenage', None),
    'age_adult': ('age', 'adult', None),
    'age_old': ('age', 'elderly', None),
    'female': ('gender', 'woman', 'man'),
    'long_hair': ('hair', 'long', 'short'),
    'hat': flag('accessory', 'a hat'),
    'backpack': flag('bag', 'a backpack'),
    'bag': flag('bag', 'a bag'),
    'handbag': flag('bag', 'a handbag'),
    'lower_pants': ('lower', 'trousers', 'dress'),
    'lower_short': ('lower_motif', 'short', 'long'),
    'short_sleeve': ('sleeve', 'short', 'long'),
}
for _c in ('black', 'blue', 'brown', 'gray', 'green', 'pink', 'purple',
           'white', 'yellow'):
    MARKET_DESCRIPTIONS[f'down_{_c}'] = ('lower_color', _c, None)
for _c in ('black', 'blue', 'green', 'gray', 'purple', 'red', 'white',
           'yellow'):
    MARKET_DESCRIPTIONS[f'up_{_c}'] = ('upper_color', _c, None)
# Cerberus' semantic-ID groups (paper 003, Table 1).
MARKET_SID_GROUPS = dict(
    head=['hat', 'long_hair'],  # hat, hair length
    # top colour, sleeve length
    upper=MARKET_GROUPS['upper_color'] + ['short_sleeve'],
    # bottom colour, bottom length, bottom style (pants / dress)
    lower=['down_black', 'down_blue', 'down_brown', 'down_gray',
           'down_green', 'down_pink', 'down_purple', 'down_white',
           'down_yellow', 'lower_short', 'lower_pants'],
    identity=['female', 'age_young', 'age_teenager', 'age_adult', 'age_old'],
    carrying=['backpack', 'bag', 'handbag'])
# Market-1501 file names: <person id>_c<camera>s<sequence>_<frame>_<box>.jpg
MARKET_NAME = re.compile(r'^(-?\d+)_c(\d+)')
JUNK_IDS = (0, -1)


@DATASETS.register_module()
class Market1501Attr(BasePARDataset):
    """Market-1501 attributes (Lin et al., PR 2019) joined with the images.

    ``market_attribute.mat`` holds identity-level labels for 751 training
    and 750 test identities. Its fields are read by name (their order
    differs between ``train`` and ``test``) and binarized to 30 attributes
    (age one-hot; see ``MARKET_ATTRIBUTES``). Every image of
    ``bounding_box_train/`` (train) or ``bounding_box_test/`` (test) takes
    its identity's labels; junk identities 0000 and -1 are skipped, and an
    image whose identity has no labels is an error. Each sample also carries
    ``person_id`` and ``camera_id``. Market-1501 has no validation split:
    ``trainval`` is ``train``; configs validate on ``test``.

    When ``query/`` exists, its images (test identities) form the ``query``
    split, ``gallery`` is ``test``, and ``reid`` is query then gallery, each
    sample with ``is_query`` (the re-identification protocol of
    :class:`ReIDMetric`). The distractor (0000) and junk (-1) images are
    skipped like everywhere here: they have no attribute labels, so the
    gallery lacks Market-1501's 2,793 distractors.

    Layout (``data_root``)::

        market_attribute.mat
        bounding_box_train/0002_c1s1_000451_03.jpg ...
        bounding_box_test/...

    Args:
        data_root (str): Defaults to 'data/Market-1501'.
        ann_file (str): Defaults to 'market_attribute.mat'.
        **kwargs: See :class:`BasePARDataset`.
    """
    DATASET_NAME = 'Market-1501 and its attribute annotation'
    METAINFO = dict(
        exclusion_rules=MARKET_EXCLUSION_RULES,
        descriptions=MARKET_DESCRIPTIONS,
        sid_groups=MARKET_SID_GROUPS,
        # the annotation's one age attribute (4 classes), one-hot here
        multiclass_groups=['age'])
    FOLDERS = dict(train='bounding_box_train', test='bounding_box_test')
    # re-identification: query/ (test identities) when present
    EXTRA_SPLITS = ('query', 'gallery', 'reid')

    def __init__(self,
                 data_root: str = 'data/Market-1501',
                 ann_file: str = 'market_attribute.mat',
                 **kwargs):
        super().__init__(
            data_root=data_root, ann_file=ann_file, img_prefix='', **kwargs)

    def _identity_labels(self, struct: np.void, split: str) -> dict:
        fields = set(struct.dtype.names)
        needed = {f for _, f, _ in MARKET_ATTRIBUTES} | {'image_index'}
        if not needed <= fields:
            raise KeyError(f'{self.ann_file}: market_attribute.{split} lacks '
                           f'fields {sorted(needed - fields)}.')
        ids = [int(i) for i in mat_str_list(struct['image_index'])]
        columns = []
        for _, name, value in MARKET_ATTRIBUTES:
            raw = np.asarray(struct[name]).ravel()  # checked before a cast
            valid = (1, 2, 3, 4) if name == 'age' else (1, 2)
            bad = ~np.isin(raw, valid)
            if bad.any():
                i = int(np.argmax(bad))
                who = ids[i] if i < len(ids) else i
                raise ValueError(
                    f'{self.ann_file}: market_attribute.{split}.{name} of '
                    f'identity {who} is {raw[i].item()} '
                    f'({int(bad.sum())} such values: '
                    f'{sorted(map(str, set(raw[bad].tolist())))[:5]}); '
                    f'expected one of {valid}.')
            columns.append(raw.astype(np.int64) == value)
        labels = np.stack(columns, axis=1).astype(np.int64)
        return dict(zip(ids, labels))

    def load_table(self) -> AttributeTable:
        mat = loadmat(self.require_file(self.ann_file))
        if 'market_attribute' not in mat:
            raise KeyError(f'{self.ann_file}: no `market_attribute` struct.')
        root = mat['market_attribute'][0, 0]
        img_paths, labels, person_ids, camera_ids, splits = [], [], [], [], {}
        folders = [(split, folder, split)
                   for split, folder in self.FOLDERS.items()]
        if osp.isdir(osp.join(self.data_root, 'query')):
            folders.append(('query', 'query', 'test'))
        for split, folder, label_split in folders:
            by_id = self._identity_labels(root[label_split][0, 0],
                                          label_split)
            folder_path = self.require_file(osp.join(self.data_root, folder))
            start = len(img_paths)
            for fname in sorted(os.listdir(folder_path)):
                if not fname.lower().endswith(('.jpg', '.jpeg', '.png')):
                    continue
                match = MARKET_NAME.match(fname)
                if match is None:
                    raise ValueError(
                        f'{osp.join(folder_path, fname)}: not a Market-1501 '
                        'file name (<id>_c<camera>s<seq>_<frame>_<box>.jpg).')
                pid, cam = int(match.group(1)), int(match.group(2))
                if pid in JUNK_IDS:
                    continue
                if pid not in by_id:
                    raise KeyError(
                        f'{osp.join(folder_path, fname)}: identity {pid:04d} '
                        f'has no labels in market_attribute.{label_split}.')
                img_paths.append(osp.join(folder, fname))
                labels.append(by_id[pid])
                person_ids.append(pid)
                camera_ids.append(cam)
            splits[split] = np.arange(start, len(img_paths))
        splits['trainval'] = splits['train']
        is_query = np.zeros(len(img_paths), dtype=bool)
        if 'query' in splits:
            is_query[splits['query']] = True
            splits['gallery'] = splits['test']
            splits['reid'] = np.concatenate([splits['query'], splits['test']])
        return AttributeTable(
            attributes=[a for a, _, _ in MARKET_ATTRIBUTES],
            img_paths=img_paths,
            labels=np.asarray(labels, dtype=np.int64).reshape(
                -1, len(MARKET_ATTRIBUTES)),
            splits=splits,
            extra=dict(
                person_id=np.asarray(person_ids, dtype=np.int64),
                camera_id=np.asarray(camera_ids, dtype=np.int64),
                is_query=is_query),
            groups=MARKET_GROUPS)
