"""docs/datasets.md's "Your own dataset" recipe, run as written: its CSV layout,
its three config files, and its two commands (sized down to seconds with
--cfg-options)."""
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from tests.utils import REPO, cli, run

ENV = dict(os.environ, PYTHONPATH=REPO)

ATTRIBUTES = ['female', 'young', 'adult', 'backpack']


def recipe():
    text = open(osp.join(REPO, 'docs', 'datasets.md')).read()
    section = text[text.index('## Your own dataset'):]
    section = section[:section.index('Every dataset exposes')]
    blocks = re.findall(r'```(\w*)\n(.*?)```', section, re.S)
    python = [code for lang, code in blocks if lang == 'python']
    header = next(line for _, code in blocks for line in code.splitlines()
                  if line.startswith('image,'))
    commands = next(code for lang, code in blocks if lang == 'bash')
    return header, python, commands


def write_split(root, split, n, rng):
    rows = []
    for i in range(n):
        labels = [int(rng.random() < .5), 0, 0, int(rng.random() < .4)]
        labels[1 + int(rng.random() < .5)] = 1  # exactly one age
        name = f'cam{i % 2 + 1}/{split}_{i:03d}.jpg'
        image = rng.integers(0, 255, (256, 128, 3), dtype=np.uint8)
        os.makedirs(osp.dirname(osp.join(root, name)), exist_ok=True)
        cv2.imwrite(osp.join(root, name), image)
        rows.append(name + ',' + ','.join(map(str, labels)))
    return rows


def test_docs_recipe_trains_both_stages(tmp_path):
    header, (my_data, par_my, ret_my), commands = recipe()
    assert header.split(',')[1:] == ATTRIBUTES
    configs = tmp_path / 'configs'
    (configs / 'my').mkdir(parents=True)
    for name in ('clear', '_base_'):
        os.symlink(osp.join(REPO, 'configs', name), configs / name)
    for name, code in (('my_data', my_data), ('par_my', par_my),
                       ('ret_my', ret_my)):
        (configs / 'my' / f'{name}.py').write_text(code)
    root = tmp_path / 'data' / 'my'
    rng = np.random.default_rng(0)
    for split, n in (('train', 24), ('val', 8), ('test', 8)):
        rows = write_split(str(root), split, n, rng)
        (root / f'{split}.csv').write_text('\n'.join([header] + rows) + '\n')

    small = {'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        small.update({f'{loader}.batch_size': 8, f'{loader}.num_workers': 0,
                      f'{loader}.persistent_workers': False})
    lines = [line.strip().rstrip('\\').strip()
             for line in commands.splitlines()]
    par_cmd = next(line for line in lines if 'par_my.py' in line)
    assert par_cmd == 'python tools/train.py configs/my/par_my.py'
    train = osp.join(REPO, 'tools', 'train.py')
    out = run(train, 'configs/my/par_my.py', *cli(small), cwd=tmp_path,
              env=ENV)
    assert 'par/mA' in out
    best = glob.glob(str(tmp_path / 'work_dirs' / 'par_my' /
                         'best_par_mA_epoch_*.pth'))
    assert len(best) == 1
    assert 'model.par_checkpoint=$(ls work_dirs/par_my/' \
        'best_par_mA_epoch_*.pth)' in commands
    out = run(train, 'configs/my/ret_my.py',
              *cli({**small, 'model.par_checkpoint': best[0]}),
              cwd=tmp_path, env=ENV)
    assert 'retrieval/mAP' in out
    # the pseudo-descriptions came from the recipe's phrases
    assert glob.glob(str(tmp_path / 'data' / 'text_embeddings' / '*.pt'))


@pytest.mark.parametrize('fault,message', [
    ('image,female,female\na.jpg,1,0\n', 'attributes named twice'),
    ('image,female\na.jpg,1,0\n', ':2: 3 columns; the header has 2'),
    ('image,female\na.jpg,yes\n', "label 'yes' of 'female' is not a number"),
    ('image,female\na.jpg,0.5\n', ":2: label '0.5' of a.jpg"),
    ('', 'is empty; expected a header row'),
])
def test_csv_errors_name_file_line_and_value(tmp_path, fault, message):
    from clear_mm.datasets import AttributeCSV
    (tmp_path / 'train.csv').write_text(fault)
    with pytest.raises(ValueError, match=re.escape(message)):
        AttributeCSV(data_root=str(tmp_path))
