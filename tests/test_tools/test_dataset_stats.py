"""tools/analysis_tools/dataset_stats.py on the official annotation files:
the counts of CLEAR's Table 1 (PA100K and Market-1501 match it exactly)."""
import json
import os
import os.path as osp
import subprocess
import sys

import scipy.io as sio

from tests.conftest import realdata
from tests.utils import REPO


def stats(config, root):
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/dataset_stats.py', config,
         '--json', '--cfg-options',
         f'train_dataloader.dataset.data_root={root}',
         f'test_dataloader.dataset.data_root={root}'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_pa100k_matches_table_1(tmp_path):
    os.symlink(realdata('PA100K_annotation.mat'), tmp_path / 'annotation.mat')
    assert stats('configs/clear/par_pa100k.py', tmp_path) == {
        'attributes': 26, 'groups': 10, 'train categories': 2020,
        'train images': 80000, 'test categories': 849,
        'unseen categories': 168, 'test images': 10000}


def test_market1501_categories_match_table_1(tmp_path):
    os.symlink(realdata('market_attribute.mat'),
               tmp_path / 'market_attribute.mat')
    root = sio.loadmat(realdata('market_attribute.mat'))['market_attribute']
    for split, folder in (('train', 'bounding_box_train'),
                          ('test', 'bounding_box_test')):
        os.makedirs(tmp_path / folder)
        for pid in root[0, 0][split][0, 0]['image_index'].ravel():
            # one placeholder image per identity: categories, not images
            open(osp.join(tmp_path, folder,
                          f'{pid[0]}_c1s1_000151_01.jpg'), 'w').close()
    out = stats('configs/clear/par_market1501.py', tmp_path)
    assert (out['train categories'], out['test categories'],
            out['unseen categories']) == (508, 484, 315)
    assert (out['train images'], out['test images']) == (751, 750)
