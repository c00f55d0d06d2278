"""tools/model_converters/publish_model.py on a real training checkpoint
(it loads with weights_only=True, keeps the weights and the schema), and
tools/visualization/vis_tsne.py on a retrieval checkpoint."""
import hashlib
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import cli, run, small, synthetic_meta, tiny_par_checkpoint

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
ASMR_CONFIG = osp.join(REPO, 'configs', 'asmr', 'asmr_synthetic.py')


def test_publish_round_trip(tmp_path):
    work = str(tmp_path / 'work')
    run('tools/train.py', PAR_CONFIG, '--work-dir', work,
        *cli(small(tmp_path, 1)))
    trained = osp.join(work, 'epoch_1.pth')
    with pytest.raises(Exception):  # torch's own safe loading refuses it
        torch.load(trained, weights_only=True)
    out = run('tools/model_converters/publish_model.py', trained,
              str(tmp_path / 'clear_tiny.pth'))
    name = re.search(r'Published (\S+)', out).group(1)
    assert re.fullmatch(r'.*/clear_tiny_\d{8}-[0-9a-f]{8}\.pth', name)
    data = open(name, 'rb').read()
    assert hashlib.sha256(data).hexdigest()[:8] == name[-12:-4]

    published = torch.load(name, weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    original = torch.load(trained, weights_only=False)
    assert published['state_dict'].keys() == original['state_dict'].keys()
    for key, value in original['state_dict'].items():
        assert torch.equal(published['state_dict'][key], value)
    assert published['meta']['dataset_meta']['attributes'] == \
        synthetic_meta()['attributes']
    assert osp.getsize(name) < osp.getsize(trained)  # no optimizer state

    # the published file is what the inferencers load
    from clear_mm.apis import PARInferencer
    inferencer = PARInferencer(PAR_CONFIG, pretrained=name)
    assert inferencer.attributes == synthetic_meta()['attributes']


def test_vis_tsne(tmp_path):
    pytest.importorskip('sklearn')
    par_path = tiny_par_checkpoint(tmp_path / 'par.pth', meta=False)
    cfg = Config.fromfile(ASMR_CONFIG)
    cfg.model.par_checkpoint = par_path
    model = MODELS.build(cfg.model)
    model.init_weights()
    labels = (np.random.default_rng(0).random((30, 26)) < 0.3).astype(int)
    model.set_dataset_meta(synthetic_meta(train_labels=labels))
    ckpt = str(tmp_path / 'asmr.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)

    opts = {k: v for k, v in small(tmp_path, 1).items()
            if k.startswith('test_dataloader')}
    opts['test_dataloader.dataset.num_test'] = 40
    out = run('tools/visualization/vis_tsne.py', ASMR_CONFIG, ckpt, '--out',
              str(tmp_path / 'tsne.png'), '--num-queries', '4',
              '--min-images', '1', *cli(opts))
    assert re.search(r'4 queries, \d+ images', out)
    assert out.count('  query ') == 4
    assert osp.getsize(tmp_path / 'tsne.png') > 5000


def test_vis_cam(tmp_path):
    pytest.importorskip('pytorch_grad_cam')
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'vis_cam', osp.join(REPO, 'tools', 'visualization', 'vis_cam.py'))
    vis_cam = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vis_cam)
    # rectangular token grids: 16x8 (256x128, patch 16), a class token
    # and 18x9 (252x126, patch 14)
    assert vis_cam.token_grid(128, 256, 128) == (0, 16, 8)
    assert vis_cam.token_grid(163, 252, 126) == (1, 18, 9)
    with pytest.raises(ValueError, match='do not form a grid'):
        vis_cam.token_grid(90, 256, 128)

    from clear_mm.datasets.synthetic.synthetic_pedestrians import \
        generate_synthetic_dataset
    generate_synthetic_dataset(str(tmp_path / 'data'), 1, 0, 1, seed=5,
                               workers=1)
    ckpt = tiny_par_checkpoint(tmp_path / 'par.pth')
    image = str(tmp_path / 'data' / 'images' / '000001.png')
    out = run('tools/visualization/vis_cam.py', PAR_CONFIG, ckpt, image,
              '--attributes', 'Female', 'Backpack', '--out',
              str(tmp_path / 'cam.png'))
    assert 'backbone.global_branch.layers.3: Female, Backpack' in out
    from PIL import Image

    # the image and two maps, each 2x the 128x64 input, plus a title row
    assert Image.open(tmp_path / 'cam.png').size == (3 * 128, 256 + 16)
