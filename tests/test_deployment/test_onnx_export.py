"""ONNX export of the tiny presets: the exported graphs match PyTorch
(<= 1e-4) at batch sizes other than the traced one, and carry the
attribute names."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import run, synthetic_meta, tiny_par_checkpoint

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
RET_CONFIG = osp.join(REPO, 'configs', 'clear', 'ret_synthetic.py')
MTT_CONFIG = osp.join(REPO, 'configs', 'multitask', 'mtt_synthetic.py')


def save(model, path, **meta):
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=synthetic_meta(), **meta)), path)
    return str(path)


@pytest.fixture(scope='module')
def par_checkpoint(tmp_path_factory):
    return tiny_par_checkpoint(tmp_path_factory.mktemp('par') / 'par.pth')


def test_recognition_cli(tmp_path, par_checkpoint):
    out = run('tools/deployment/export_onnx.py', PAR_CONFIG, par_checkpoint,
              '--out', str(tmp_path / 'par.onnx'))
    assert 'recognition:' in out and 'input 128x64' in out
    graph = onnx.load(str(tmp_path / 'par.onnx'))
    meta = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(meta['attributes']) == synthetic_meta()['attributes']

    # independent check: ONNX Runtime on an RGB 0-255 image vs the model's
    # own preprocessing and sigmoid, at a batch of 5 (traced with 2)
    from clear_mm.apis import init_model
    model = init_model(PAR_CONFIG, par_checkpoint)
    images = torch.rand(5, 3, 128, 64) * 255
    session = ort.InferenceSession(str(tmp_path / 'par.onnx'),
                                   providers=['CPUExecutionProvider'])
    ours = session.run(None, {'images': images.numpy()})[0]
    bgr = images.flip(1)  # the preprocessor takes BGR and converts
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=bgr), False)
        expected = torch.sigmoid(model(data['inputs'])).numpy()
    assert np.abs(ours - expected).max() <= 1e-4


def _retriever(config, par_checkpoint, tmp_path, **options):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    if 'par_checkpoint' in cfg.model:
        cfg.model.par_checkpoint = par_checkpoint
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    labels = (np.random.default_rng(0).random((30, 26)) < 0.3).astype(int)
    model.set_dataset_meta(synthetic_meta(train_labels=labels))
    path = save(model, tmp_path / 'ret.pth')
    return path, options


@pytest.mark.parametrize('config', [RET_CONFIG, MTT_CONFIG])
def test_retrieval_encoders(config, tmp_path, par_checkpoint, tiny_bert):
    options = {}
    if config == RET_CONFIG:
        options = {'model.language_model.name_or_path': tiny_bert,
                   'model.language_model.cache_dir': str(tmp_path / 'lm')}
    checkpoint, options = _retriever(config, par_checkpoint, tmp_path,
                                     **options)
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx, max_difference
    model = init_model(config, checkpoint, cfg_options=options)
    for kind in ('image', 'query'):
        path = str(tmp_path / f'{kind}.onnx')
        wrapper = export_onnx(model, kind, path, (128, 64))
        assert max_difference(wrapper, path, kind, model, (128, 64),
                              batches=(1, 4)) <= 1e-4

    # the exported query graph ranks like the model's encode_queries
    vectors = torch.from_numpy(
        (np.random.default_rng(1).random((3, 26)) < 0.3).astype(np.int64))
    feeds = {'attributes': vectors.float().numpy()}
    for form in getattr(model, 'query_forms', ()):
        if form != 'hard':
            feeds[f'{form}_states'] = model.query_inputs(form,
                                                         vectors).numpy()
    session = ort.InferenceSession(str(tmp_path / 'query.onnx'),
                                   providers=['CPUExecutionProvider'])
    exported = session.run(None, feeds)[0]
    expected = torch.nn.functional.normalize(
        model.encode_queries(vectors), dim=1).numpy()
    assert np.abs(exported - expected).max() <= 1e-4
