"""tools/analysis_tools/dataset_stats.py on the official annotation files:
the counts of CLEAR's Table 1 (PA100K and Market-1501 match it exactly)."""
import json
import os
import os.path as osp

import pytest
import scipy.io as sio

from tests.conftest import realdata
from tests.utils import python


def stats(config, root):
    proc = python('tools/analysis_tools/dataset_stats.py', config,
                  '--json', '--cfg-options',
                  f'train_dataloader.dataset.data_root={root}',
                  f'test_dataloader.dataset.data_root={root}', timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_pa100k_matches_table_1(tmp_path):
    os.symlink(realdata('PA100K_annotation.mat'), tmp_path / 'annotation.mat')
    assert stats('configs/clear/par_pa100k.py', tmp_path) == {
        'attributes': 26, 'columns': 26, 'groups': 10,
        'train categories': 2020,
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
    # Table 1's 27: the 4 one-hot age columns are one attribute
    assert (out['attributes'], out['columns']) == (27, 30)
    assert (out['train images'], out['test images']) == (751, 750)


def test_peta_65_attributes_and_a_split_file(tmp_path):
    """ret_peta.py: all 105 columns = Table 1's 65 attributes; a JSON split
    file of image numbers replaces PETA.mat's random split."""
    os.symlink(realdata('PETA.mat'), tmp_path / 'PETA.mat')
    out = stats('configs/clear/ret_peta.py', tmp_path)
    assert (out['attributes'], out['columns']) == (65, 105)
    assert (out['train images'], out['test images']) == (9500, 7600)
    split = tmp_path / 'split.json'
    split.write_text(json.dumps(dict(train=list(range(1, 15068)),
                                     test=list(range(15068, 19001)))))
    proc = python('tools/analysis_tools/dataset_stats.py',
                  'configs/clear/ret_peta.py', '--json', '--cfg-options',
                  f'train_dataloader.dataset.data_root={tmp_path}',
                  f'test_dataloader.dataset.data_root={tmp_path}',
                  f'train_dataloader.dataset.split_file={split}',
                  f'test_dataloader.dataset.split_file={split}', timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (out['train images'], out['test images']) == (15067, 3933)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(train=[0, 1], test=[5])))
    from clear_mm.datasets import PETA
    with pytest.raises(ValueError, match=r'"train" has \[0\].*1\.\.19000'):
        PETA(data_root=str(tmp_path), split_file=str(bad))
    # JSON true is not image 1
    bad.write_text(json.dumps(dict(train=[True, 2], test=[5])))
    with pytest.raises(ValueError, match=r'"train" has \[True\]'):
        PETA(data_root=str(tmp_path), split_file=str(bad))
