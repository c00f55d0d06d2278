"""ONNX export of the tiny presets: the exported graphs match PyTorch
(<= 1e-4) at batch sizes other than the traced one, and carry the
attribute names."""
import json
import os
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


def random_images(folder, names, size, rng):
    """RGB noise images ``size`` (H, W) named ``names`` in ``folder``."""
    from PIL import Image
    folder.mkdir(exist_ok=True)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)
                        ).save(folder / name)
    return folder


def _retriever(config, par_checkpoint, tmp_path, **options):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    if 'par_checkpoint' in cfg.model:
        cfg.model.par_checkpoint = par_checkpoint
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    labels = (np.random.default_rng(0).random((30, 26)) < 0.3).astype(int)
    meta = synthetic_meta(train_labels=labels)
    if config == CERBERUS_CONFIG:  # trained on identities
        meta['person_ids'] = np.arange(30) % cfg.model.num_ids
    model.set_dataset_meta(meta)
    path = save(model, tmp_path / 'ret.pth')
    return path, options


def model_embeddings(model, images):
    """The model's own embeddings of RGB 0-255 images: its preprocessor
    (BGR in, converted as in training) and ``embed_images``."""
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=images.flip(1)), False)
        return torch.nn.functional.normalize(
            model.embed_images(data['inputs']), dim=1).numpy()


ASMR_CONFIG = osp.join(REPO, 'configs', 'asmr', 'asmr_synthetic.py')
CERBERUS_CONFIG = osp.join(REPO, 'configs', 'cerberus',
                           'cerberus_synthetic.py')


@pytest.mark.parametrize(
    'config', [RET_CONFIG, MTT_CONFIG, ASMR_CONFIG, CERBERUS_CONFIG])
def test_retrieval_encoders(config, tmp_path, par_checkpoint, tiny_bert):
    """The exported image and query graphs against the model's own
    preprocessing, ``embed_images`` and ``encode_queries`` (not the export
    wrappers), at batch sizes other than the traced one; Cerberus encodes
    queries by SID look-ups, outside a graph: its query export is refused
    with the reason."""
    options = {}
    if config == RET_CONFIG:
        options = {'model.language_model.name_or_path': tiny_bert,
                   'model.language_model.cache_dir': str(tmp_path / 'lm')}
    if config == CERBERUS_CONFIG:  # the SIDs of _retriever's identities;
        # a sigma that crops some images' rows (the alignment in the graph)
        options = {'model.num_sids': [4, 23, 17, 13, 11], 'model.num_ids': 30,
                   'model.sigma': 4.5}
    checkpoint, options = _retriever(config, par_checkpoint, tmp_path,
                                     **options)
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx
    model = init_model(config, checkpoint, cfg_options=options)
    export_onnx(model, 'image', str(tmp_path / 'image.onnx'), (128, 64))
    session = ort.InferenceSession(str(tmp_path / 'image.onnx'),
                                   providers=['CPUExecutionProvider'])
    # the models whose attribute scores come from a network give them
    # from the same pass of the graph (the search index stores both);
    # Cerberus decodes prototypes outside it
    names = [o.name for o in session.get_outputs()]
    assert names == ['embeddings'] + ([] if config == CERBERUS_CONFIG else
                                      ['scores'])
    for batch in (1, 5):
        images = torch.rand(batch, 3, 128, 64) * 255
        exported = session.run(None, {'images': images.numpy()})
        assert np.abs(exported[0] - model_embeddings(model, images)).max() \
            <= 1e-4
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=images.flip(1)),
                                           False)
            samples = model(**data, mode='predict')
        if 'scores' in names:
            expected = torch.stack([s.pred_score for s in samples]).numpy()
            assert np.abs(exported[1] - expected).max() <= 1e-4

    if config == CERBERUS_CONFIG:
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=images.flip(1)), False)
            heat = model.local_tail(model._shared(data['inputs'])).norm(
                dim=1).amax(dim=2)
        above = heat > model.sigma  # rows kept: cropped, and per image
        assert not above.all() and len({tuple(r) for r in above.tolist()}) > 1
        with pytest.raises(ValueError, match='SID prototype look-ups'):
            export_onnx(model, 'query', str(tmp_path / 'query.onnx'),
                        (128, 64))
        return
    export_onnx(model, 'query', str(tmp_path / 'query.onnx'), (128, 64))
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
    with torch.no_grad():
        expected = torch.nn.functional.normalize(
            model.encode_queries(vectors), dim=1).numpy()
    assert np.abs(exported - expected).max() <= 1e-4


def test_precision_variants(tmp_path, par_checkpoint):
    """fp16 and int8 (dynamic, and static with calibration images through
    the CLI) of the tiny recognition graph: float16 weights or int8
    quantization in the graph, the attribute names kept, the same inputs,
    and scores near the fp32 graph's."""
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.precision import convert_precision
    fp32 = str(tmp_path / 'par.onnx')
    model = init_model(PAR_CONFIG, par_checkpoint)
    export_onnx(model, 'recognition', fp32, (128, 64),
                model.dataset_meta['attributes'])
    rng = np.random.default_rng(0)
    calibration = random_images(tmp_path / 'calibration',
                                [f'{i}.png' for i in range(6)], (128, 64),
                                rng)
    images = (rng.random((3, 3, 128, 64)) * 255).astype(np.float32)

    def scores(path):
        session = ort.InferenceSession(path,
                                       providers=['CPUExecutionProvider'])
        return session.run(None, {'images': images})[0]

    reference = scores(fp32)
    out = run('tools/deployment/export_onnx.py', PAR_CONFIG, par_checkpoint,
              '--out', str(tmp_path / 'cli.onnx'), '--precision', 'int8',
              '--calibration', str(calibration))
    assert 'recognition:' in out and 'int8 static' in out
    assert not [f for f in os.listdir(tmp_path) if 'fp32-tmp' in f]
    variants = {
        'fp16': convert_precision(fp32, str(tmp_path / 'fp16.onnx'), 'fp16'),
        'int8': convert_precision(fp32, str(tmp_path / 'int8.onnx'), 'int8'),
        'int8 static': str(tmp_path / 'cli.onnx'),
    }
    for name, path in variants.items():
        graph = onnx.load(path)
        ops = {node.op_type for node in graph.graph.node}
        if name == 'fp16':
            assert any(t.data_type == onnx.TensorProto.FLOAT16
                       for t in graph.graph.initializer)
        elif name == 'int8':
            # the matrix products only: integer convolutions are slow
            assert {'DynamicQuantizeLinear', 'MatMulInteger'} <= ops
            assert 'ConvInteger' not in ops and 'Conv' in ops
        else:
            # convolutions static (calibrated u8 activations), matrix
            # products dynamic
            assert {'QLinearConv', 'MatMulInteger'} <= ops
            assert 'Conv' not in ops and 'ConvInteger' not in ops
        meta = {p.key: p.value for p in graph.metadata_props}
        assert meta['precision'] == dict(int8='int8 dynamic').get(name, name)
        assert json.loads(meta['attributes']) == synthetic_meta()[
            'attributes']
        got = scores(path)
        assert got.shape == reference.shape and got.dtype == np.float32
        assert np.abs(got - reference).max() < (0.01 if name == 'fp16'
                                                else 0.2), name
    with pytest.raises(ValueError, match='for --precision int8'):
        convert_precision(fp32, str(tmp_path / 'x.onnx'), 'fp16',
                          str(calibration))


def test_accuracy_and_speed_of_each_precision(tmp_path, par_checkpoint):
    """tools/analysis_tools/onnx_accuracy.py: mA of eager and of each ONNX
    precision on the test split, and their speeds; the fp32 graph fed
    the same test images scores as eager does."""
    from tests.utils import cli, small
    out = str(tmp_path / 'accuracy.json')
    run('tools/analysis_tools/onnx_accuracy.py', PAR_CONFIG, par_checkpoint,
        '--precisions', 'fp32', 'int8', '--repeats', '1', '--warmup', '0',
        '--out', out, *cli(small(tmp_path, 1)))
    record = json.load(open(out))
    assert [r['variant'] for r in record['rows']] == [
        'eager', 'ONNX Runtime fp32', 'ONNX Runtime int8 dynamic'
    ]
    assert record['test_images'] == 8 and record['checkpoint_sha256']
    eager, fp32, _ = record['rows']
    assert fp32['mA'] == pytest.approx(eager['mA'], abs=1e-6)
    assert fp32['max_difference'] < 1e-4
    assert all(r['img_s_b1'] > 0 and r['img_s_b8'] > 0
               for r in record['rows'])


def test_fixed_batch_sessions_run_any_number_of_images(tmp_path,
                                                       par_checkpoint):
    """OnnxGraph with a fixed batch size (the batch dimension fixed when
    the session is made) gives what the dynamic graph gives, for a count
    of images that is not a multiple of it (the last batch padded); a
    graph of another kind, model or attribute list is refused by name."""
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.runtime import OnnxGraph
    path = str(tmp_path / 'par.onnx')
    model = init_model(PAR_CONFIG, par_checkpoint)
    export_onnx(model, 'recognition', path, (128, 64),
                model.dataset_meta['attributes'])
    images = (np.random.default_rng(0).random((11, 3, 128, 64)) *
              255).astype(np.float32)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    expected = session.run(None, {'images': images})[0]
    fixed = OnnxGraph(path, batch_size=4)
    # the batch is fixed in the session: a batch of 3 is not accepted
    with pytest.raises(Exception, match='(?i)dimension|shape'):
        fixed.session.run(None, {'images': images[:3]})
    got = fixed.run(images)['scores']
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-5
    assert np.abs(OnnxGraph(path).run(images)['scores'] - expected).max() \
        <= 1e-5
    attributes = model.dataset_meta['attributes']
    fixed.check('ImageClassifier', attributes, (128, 64), 'recognition')
    for args, message in (
            (('ImageClassifier', attributes, (128, 64), 'image'),
             "'recognition' graph; expected 'image'"),
            (('AttributeRetriever', attributes, (128, 64), 'recognition'),
             'exported from a ImageClassifier'),
            (('ImageClassifier', attributes[::-1], (128, 64), 'recognition'),
             'exported with the attributes'),
            (('ImageClassifier', attributes, (256, 128), 'recognition'),
             'takes images of 128x64')):
        with pytest.raises(ValueError, match=message):
            fixed.check(*args)
    # a graph without attribute names cannot be matched to the model's
    unnamed = str(tmp_path / 'unnamed.onnx')
    export_onnx(model, 'recognition', unnamed, (128, 64))
    with pytest.raises(ValueError, match='carries no attribute names'):
        OnnxGraph(unnamed).check('ImageClassifier', attributes, (128, 64),
                                 'recognition')


def test_search_index_embeds_with_an_exported_graph(tmp_path,
                                                    par_checkpoint,
                                                    tiny_bert):
    """PersonSearcher.add(onnx=...) (tools/search.py index --onnx): the
    fp32 image graph gives the index PyTorch's embeddings and attribute
    scores, so the same answers; an int8 graph close ones; a recognition
    graph, or an image graph without the scores, is refused."""
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.precision import convert_precision
    from clear_mm.search import PersonSearcher
    options = {'model.language_model.name_or_path': tiny_bert,
               'model.language_model.cache_dir': str(tmp_path / 'lm')}
    checkpoint, options = _retriever(RET_CONFIG, par_checkpoint, tmp_path,
                                     **options)
    cfg = Config.fromfile(RET_CONFIG)
    cfg.merge_from_dict(options)
    model = init_model(cfg, checkpoint)
    graph = str(tmp_path / 'image.onnx')
    export_onnx(model, 'image', graph, (128, 64),
                model.dataset_meta['attributes'])
    int8 = convert_precision(graph, str(tmp_path / 'int8.onnx'), 'int8')
    rng = np.random.default_rng(0)
    folder = random_images(
        tmp_path / 'crops',
        [f'{i:04d}_c{i % 3 + 1}s1_0.jpg' for i in range(7)], (160, 70), rng)
    galleries, built = {}, {}
    for name, onnx_path in (('torch', None), ('fp32', graph), ('int8', int8)):
        searcher = PersonSearcher.build(
            cfg, checkpoint, str(folder), str(tmp_path / name),
            batch_size=3, onnx=onnx_path, similarity=None)
        galleries[name] = searcher.gallery
        built[name] = searcher
        if name == 'fp32':
            fp32_answer = searcher.search('Female, Backpack', topk=7)
        if name == 'torch':
            answer = searcher.search('Female, Backpack', topk=7)
    torch_rows = galleries['torch']
    for name, tol in (('fp32', 1e-4), ('int8', 0.1)):
        rows = galleries[name]
        assert list(rows['paths']) == list(torch_rows['paths'])
        for key in ('embeddings', 'scores'):
            assert rows[key].shape == torch_rows[key].shape
            assert np.abs(rows[key] - torch_rows[key]).max() <= tol, \
                (name, key)
    # the int8 graph did embed (its embeddings are not PyTorch's)
    assert np.abs(galleries['int8']['embeddings'] -
                  torch_rows['embeddings']).max() > 1e-5
    assert [r['path'] for r in fp32_answer['results']] == \
        [r['path'] for r in answer['results']]

    # a later add without a graph, by the searcher that embedded with one,
    # embeds with the model again
    extra = random_images(tmp_path / 'extra', ['0100_c1s1_0.jpg'],
                          (160, 70), rng)
    rows = {}
    for name in ('torch', 'int8'):
        built[name].add(str(extra), batch_size=3)
        rows[name] = built[name].gallery['embeddings'][-1]
    assert np.abs(rows['int8'] - rows['torch']).max() <= 1e-5

    searcher = PersonSearcher.open(str(tmp_path / 'torch'), similarity=None)
    recognition = str(tmp_path / 'recognition.onnx')
    export_onnx(model, 'recognition', recognition, (128, 64),
                model.dataset_meta['attributes'])
    with pytest.raises(ValueError, match="'recognition' graph; expected "
                       "'image'"):
        searcher.add(str(folder), onnx=recognition)
    no_scores = str(tmp_path / 'no_scores.onnx')
    with_scores = onnx.load(graph)
    del with_scores.graph.output[1]
    onnx.save(with_scores, no_scores)
    with pytest.raises(ValueError, match='also predicts attribute scores'):
        searcher.add(str(folder), onnx=no_scores)
