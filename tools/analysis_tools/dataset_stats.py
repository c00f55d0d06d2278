"""Print a dataset's statistics as CLEAR's Table 1 counts them.

For the training and test splits of a config (its train_dataloader and
test_dataloader datasets; only the annotation files are read): the number
of attributes and attribute groups, of images, of person categories (a
category is a distinct attribute vector) and of unseen categories (test
categories that no training image has).

    python tools/analysis_tools/dataset_stats.py configs/clear/par_pa100k.py
    python tools/analysis_tools/dataset_stats.py configs/clear/par_peta.py \
        --cfg-options train_dataloader.dataset.data_root=/data/PETA \
        test_dataloader.dataset.data_root=/data/PETA
"""
import argparse
import json

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope


def dataset_stats(train, test) -> dict:
    """Table 1's rows for a training and a test dataset
    (:class:`BasePARDataset`)."""
    train_attrs = train.get_attribute_matrix()
    test_attrs = test.get_attribute_matrix()
    train_set = {row.tobytes() for row in train_attrs.astype(np.int8)}
    test_set = {row.tobytes() for row in test_attrs.astype(np.int8)}
    from clear_mm.structures.schema import table1_attribute_count
    return {
        # each multi-class group (Market's age, PETA's colours) once
        'attributes': table1_attribute_count(train.metainfo),
        'columns': len(train.metainfo['attributes']),
        'groups': len(train.metainfo.get('attribute_groups') or {}),
        'train categories': len(train_set),
        'train images': len(train_attrs),
        'test categories': len(test_set),
        'unseen categories': len(test_set - train_set),
        'test images': len(test_attrs),
    }


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--train-split', help='instead of the config\'s')
    parser.add_argument('--test-split', help='instead of the config\'s')
    parser.add_argument('--json', action='store_true',
                        help='print one JSON line instead of a table')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    for module in cfg.get('custom_imports', {}).get('imports', []):
        __import__(module)
    from clear_mm.registry import DATASETS
    built = []
    for loader, split in (('train_dataloader', args.train_split),
                          ('test_dataloader', args.test_split)):
        dataset = dict(cfg[loader].dataset)
        dataset.pop('pipeline', None)
        if split:
            dataset['split'] = split
        built.append(DATASETS.build(dataset))
    stats = dataset_stats(*built)
    if args.json:
        print(json.dumps(stats))
        return
    print(f'{type(built[0]).__name__} ({built[0].split} / {built[1].split})')
    for key, value in stats.items():
        print(f'  # {key:<18} {value}')


if __name__ == '__main__':
    main()
