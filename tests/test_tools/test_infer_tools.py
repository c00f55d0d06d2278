"""tools/infer.py on a folder of unlabelled images, and tools/test.py's
prediction dump, pictures and test-time augmentation."""
import csv
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config

from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import (cli, python, run, small, synthetic_meta,
                         tiny_par_checkpoint)

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return tiny_par_checkpoint(tmp_path_factory.mktemp('ckpt') / 'par.pth')


def test_infer_folder(tmp_path, checkpoint):
    from clear_mm.datasets.synthetic.synthetic_pedestrians import \
        generate_synthetic_dataset
    generate_synthetic_dataset(str(tmp_path / 'data'), 4, 1, 2, seed=2,
                               workers=1)
    folder = str(tmp_path / 'data' / 'images')
    out = run('tools/infer.py', PAR_CONFIG, checkpoint, folder, '--out',
              str(tmp_path / 'out.json'), '--show-dir',
              str(tmp_path / 'show'), '--batch-size', '3')
    results = json.load(open(tmp_path / 'out.json'))
    assert len(results) == 7
    assert '7 results written' in out
    attributes = synthetic_meta()['attributes']
    assert list(results[0]['scores']) == attributes
    assert sorted(os.listdir(tmp_path / 'show')) == sorted(
        osp.splitext(osp.basename(r['img_path']))[0] + '.png'
        for r in results)

    # CSV: the same scores, 4 decimals, one column per attribute
    run('tools/infer.py', PAR_CONFIG, checkpoint, folder, '--out',
        str(tmp_path / 'out.csv'))
    rows = list(csv.reader(open(tmp_path / 'out.csv')))
    assert rows[0] == ['img_path', 'pred_attributes'] + attributes
    for row, result in zip(rows[1:], results):
        assert row[0] == result['img_path']
        assert row[1].split(';') == result['pred_attributes']
        np.testing.assert_allclose(
            [float(v) for v in row[2:]], list(result['scores'].values()),
            atol=6e-5)

    proc = python('tools/infer.py', PAR_CONFIG, checkpoint,
                  str(tmp_path / 'missing'), timeout=300)
    assert proc.returncode != 0
    assert 'missing does not exist' in proc.stderr


def test_test_dump_show_tta(tmp_path, checkpoint):
    opts = {k: v for k, v in small(tmp_path, 1).items()
            if k.startswith('test_dataloader')}
    opts['train_dataloader.dataset.type'] = 'NoSuchDataset'  # not built
    work = str(tmp_path / 'work')
    run('tools/test.py', PAR_CONFIG, checkpoint, '--work-dir', work,
        '--dump', osp.join(work, 'pred.pkl'), '--show-dir',
        osp.join(work, 'show'), '--out', osp.join(work, 'metrics.json'),
        *cli(opts))
    preds = pickle.load(open(osp.join(work, 'pred.pkl'), 'rb'))
    assert len(preds) == 8 and len(os.listdir(osp.join(work, 'show'))) == 8
    scores = np.array([p['pred_score'] for p in preds])
    assert set(np.array([p['gt_score'] for p in preds]).ravel()) <= {0, 1}
    # the metrics are written as well, next to the dump
    assert set(json.load(open(osp.join(work, 'metrics.json')))) == {
        'par/mA', 'par/accuracy', 'par/precision', 'par/recall', 'par/f1'
    }

    # mmpretrain's spelling: --out with --out-item pred is the dump
    run('tools/test.py', PAR_CONFIG, checkpoint, '--work-dir', work,
        '--out', osp.join(work, 'pred2.pkl'), '--out-item', 'pred',
        *cli(opts))
    again = pickle.load(open(osp.join(work, 'pred2.pkl'), 'rb'))
    assert [p['pred_score'] for p in again] == [
        p['pred_score'] for p in preds]

    # --tta: the image and its flip, scores averaged
    run('tools/test.py', PAR_CONFIG, checkpoint, '--work-dir', work, '--tta',
        '--dump', osp.join(work, 'tta.json'), *cli(opts))
    tta = json.load(open(osp.join(work, 'tta.json')))
    assert tta['attributes'] == synthetic_meta()['attributes']
    flipped = np.array([p['pred_score'] for p in tta['predictions']])
    assert not np.allclose(flipped, scores)
    cfg = Config.fromfile(PAR_CONFIG)
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    model.load_state_dict(torch.load(checkpoint)['state_dict'])
    model.eval()
    from mmcv.image import imread
    from mmcv.transforms import Resize
    img = imread(preds[0]['img_path'])
    img = Resize(scale=(64, 128), interpolation='area')(dict(img=img))['img']
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
    both = torch.cat([x, x.flip(-1)]).float()
    data = model.data_preprocessor(dict(inputs=both), False)
    with torch.no_grad():
        expected = torch.sigmoid(model(data['inputs']))
    # the dump holds the model's scores of the image; with --tta the mean
    # over the image and its flip
    np.testing.assert_allclose(scores[0], expected[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(flipped[0], expected.mean(0).numpy(),
                               atol=1e-5)


def test_infer_with_an_exported_graph(tmp_path, checkpoint):
    """tools/infer.py --onnx: ONNX Runtime scores the same preprocessed
    images as the model (fp32: the same scores and attributes; int8: close
    scores); a graph of other attributes is refused, naming the file."""
    pytest.importorskip('onnxruntime')
    from clear_mm.apis import init_model
    from clear_mm.datasets.synthetic.synthetic_pedestrians import \
        generate_synthetic_dataset
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.precision import convert_precision
    generate_synthetic_dataset(str(tmp_path / 'data'), 4, 1, 2, seed=2,
                               workers=1)
    folder = str(tmp_path / 'data' / 'images')
    model = init_model(PAR_CONFIG, checkpoint)
    graph = str(tmp_path / 'par.onnx')
    export_onnx(model, 'recognition', graph, (128, 64),
                model.dataset_meta['attributes'])
    convert_precision(graph, str(tmp_path / 'int8.onnx'), 'int8')
    results = {}
    for name, extra in (('torch', []), ('fp32', ['--onnx', graph]),
                        ('int8', ['--onnx', str(tmp_path / 'int8.onnx')])):
        run('tools/infer.py', PAR_CONFIG, checkpoint, folder, '--out',
            str(tmp_path / f'{name}.json'), '--batch-size', '3', *extra)
        results[name] = json.load(open(tmp_path / f'{name}.json'))
    for name, atol in (('fp32', 1e-4), ('int8', 0.1)):
        assert len(results[name]) == 7
        for ours, theirs in zip(results[name], results['torch']):
            assert ours['img_path'] == theirs['img_path']
            np.testing.assert_allclose(list(ours['scores'].values()),
                                       list(theirs['scores'].values()),
                                       atol=atol)
    assert [r['pred_attributes'] for r in results['fp32']] == [
        r['pred_attributes'] for r in results['torch']
    ]
    export_onnx(model, 'recognition', str(tmp_path / 'other.onnx'),
                (128, 64), ['a'] * 26)
    proc = python('tools/infer.py', PAR_CONFIG, checkpoint, folder,
                  '--onnx', str(tmp_path / 'other.onnx'))
    assert proc.returncode != 0 and 'other.onnx was exported with the ' \
        'attributes' in proc.stderr
