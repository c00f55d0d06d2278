"""clear_mm.apis on tiny models: attribute names and scores against the
model's own forward pass, exclusive groups, thresholds, a folder of
unlabelled images, the retrieval ranking against a hand-computed cosine,
and the model hub."""
import json
import os.path as osp

import mmpretrain
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.image import imread
from mmengine.config import Config

from clear_mm.apis import (AttributeRetrievalInferencer, PARInferencer,
                           inference_model, list_images, list_models,
                           load_thresholds, register_models)
from clear_mm.datasets.synthetic.synthetic_pedestrians import \
    generate_synthetic_dataset
from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import synthetic_meta, tiny_par_checkpoint

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
ASMR_CONFIG = osp.join(REPO, 'configs', 'asmr', 'asmr_synthetic.py')


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    """Unlabelled crops in nested folders (the labels stay in meta.json,
    which the inferencers never read)."""
    root = str(tmp_path_factory.mktemp('crops'))
    generate_synthetic_dataset(root, 6, 2, 4, seed=3, workers=1)
    return osp.join(root, 'images')


@pytest.fixture(scope='module')
def par_checkpoint(tmp_path_factory):
    return tiny_par_checkpoint(tmp_path_factory.mktemp('par') / 'par.pth')


def own_scores(inferencer, path):
    """The model's sigmoid scores computed here, from the image file."""
    model = inferencer.model
    img = imread(path)
    results = inferencer.pipeline(img)  # the array path of the pipeline
    data = model.data_preprocessor(
        dict(inputs=[results['inputs']], data_samples=None), False)
    with torch.no_grad():
        return torch.sigmoid(model(data['inputs'], mode='tensor'))[0].numpy()


def test_par_inferencer_folder(images, par_checkpoint, tmp_path):
    inferencer = PARInferencer(PAR_CONFIG, pretrained=par_checkpoint)
    files = list_images(images)
    assert len(files) == 12
    results = inferencer(images, batch_size=5, show_dir=str(tmp_path))
    assert [r['img_path'] for r in results] == files
    meta = synthetic_meta()
    for r in results[:3]:
        assert list(r['scores']) == meta['attributes']
        np.testing.assert_allclose(
            list(r['scores'].values()), own_scores(inferencer, r['img_path']),
            atol=1e-5)
        scores = np.array(list(r['scores'].values()))
        # exclusive groups: exactly one age bin and one view (the highest
        # scores), at most one sleeve length; the rest by threshold 0.5
        chosen = set(r['pred_attributes'])
        for group, rule in meta['exclusion_rules'].items():
            names = meta['attribute_groups'][group]
            best = max(names, key=lambda a: r['scores'][a])
            picked = chosen & set(names)
            if rule == 'one':
                assert picked == {best}
            else:
                assert picked == ({best} if r['scores'][best] > 0.5 else
                                  set())
        grouped = {a for g in meta['exclusion_rules']
                   for a in meta['attribute_groups'][g]}
        free = {a for a, s in zip(meta['attributes'], scores)
                if s > 0.5 and a not in grouped}
        assert chosen - grouped == free
        assert r['pred_label'] == [int(a in chosen)
                                   for a in meta['attributes']]
        assert osp.getsize(r['visualization']) > 1000

    # without group resolution, exactly the scores above 0.5
    plain = PARInferencer(PAR_CONFIG, pretrained=par_checkpoint,
                          resolve_groups=False)(files[0])[0]
    assert plain['pred_attributes'] == [
        a for a, s in plain['scores'].items() if s > 0.5
    ]


def test_thresholds(par_checkpoint, images, tmp_path):
    attributes = synthetic_meta()['attributes']
    path = tmp_path / 'thr.csv'
    path.write_text('attribute,threshold\nFemale,0.9\nboots,0.1\n')
    thr = load_thresholds(str(path), attributes)
    assert thr[0] == 0.9 and thr[-1] == 0.1 and (thr[1:-1] == 0.5).all()
    (tmp_path / 'thr.json').write_text(json.dumps({'Hat': 0.2}))
    assert load_thresholds(str(tmp_path / 'thr.json'),
                           attributes)[attributes.index('Hat')] == 0.2
    with pytest.raises(KeyError, match="unknown attributes \\['Wings'\\]"):
        load_thresholds({'Wings': 0.3}, attributes)
    with pytest.raises(ValueError, match='in \\(0, 1\\)'):
        load_thresholds({'Hat': 1.5}, attributes)
    with pytest.raises(ValueError, match="threshold of Hat is 'high'"):
        load_thresholds({'Hat': 'high'}, attributes)

    # a threshold that decides: Female below/above its score
    inferencer = PARInferencer(PAR_CONFIG, pretrained=par_checkpoint)
    image = list_images(images)[0]
    score = inferencer(image)[0]['scores']['Female']
    for thr, expected in ((score - 0.01, True), (score + 0.01, False)):
        out = PARInferencer(PAR_CONFIG, pretrained=par_checkpoint,
                            thr={'Female': thr})(image)[0]
        assert ('Female' in out['pred_attributes']) == expected


def test_inputs_and_errors(images, par_checkpoint, tmp_path):
    files = list_images(images)
    listing = tmp_path / 'list.txt'
    listing.write_text('\n'.join(
        ['# crops', osp.relpath(files[1], tmp_path), files[2]]))
    assert list_images(str(listing)) == [
        osp.join(str(tmp_path), osp.relpath(files[1], tmp_path)), files[2]
    ]
    with pytest.raises(FileNotFoundError, match='nothere'):
        list_images(str(tmp_path / 'nothere'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds no images'):
        list_images(str(tmp_path / 'empty'))

    inferencer = PARInferencer(PAR_CONFIG, pretrained=par_checkpoint)
    # a BGR array gives the scores of the file it was read from
    from_array = inferencer(imread(files[0]))[0]
    from_file = inferencer(files[0])[0]
    assert from_array['img_path'] is None
    assert from_array['scores'] == pytest.approx(from_file['scores'])
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(ValueError, match='broken.jpg could not be decoded'):
        inferencer(str(broken))

    # a trained config without its checkpoint; a checkpoint of another model
    with pytest.raises(ValueError, match='Give the checkpoint'):
        PARInferencer(PAR_CONFIG)
    with pytest.raises(ValueError, match='does not fit'):
        PARInferencer(
            PAR_CONFIG, pretrained=par_checkpoint,
            cfg_options={'model.head.num_classes': 5})


@pytest.fixture(scope='module')
def asmr_checkpoint(tmp_path_factory, par_checkpoint):
    torch.manual_seed(0)
    cfg = Config.fromfile(ASMR_CONFIG)
    cfg.model.par_checkpoint = par_checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    rng = np.random.default_rng(0)
    labels = (rng.random((30, 26)) < 0.3).astype(np.int64)
    model.set_dataset_meta(synthetic_meta(train_labels=labels))
    path = str(tmp_path_factory.mktemp('asmr') / 'asmr.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_retrieval_inferencer(images, asmr_checkpoint):
    inferencer = AttributeRetrievalInferencer(
        ASMR_CONFIG, pretrained=asmr_checkpoint, gallery=images,
        batch_size=4)
    model = inferencer.model
    files = list_images(images)
    gallery = inferencer.gallery
    assert gallery['img_paths'] == files
    # ASMR's frozen recognition model gives attribute scores too
    assert gallery['scores'].shape == (12, 26)

    query = 'Female, Age18-60, Front, Backpack, LongSleeve, Trousers'
    top = inferencer([query, query.split(', ')[:3]], topk=4)
    assert top[0]['query'] == query.split(', ')

    # hand-computed: cosine of the query and image embeddings
    vector = np.zeros((1, 26), dtype=np.int64)
    for name in query.split(', '):
        vector[0, synthetic_meta()['attributes'].index(name)] = 1
    with torch.no_grad():
        q = F.normalize(model.encode_queries(torch.from_numpy(vector)), dim=1)
        imgs = []
        for path in files:
            results = inferencer.pipeline(path)
            data = model.data_preprocessor(
                dict(inputs=[results['inputs']], data_samples=None), False)
            imgs.append(model.embed_images(data['inputs'])[0])
        g = F.normalize(torch.stack(imgs), dim=1)
    sims = (q @ g.t())[0]
    order = sims.argsort(descending=True)[:4]
    assert [r['img_path'] for r in top[0]['results']] == [
        files[i] for i in order
    ]
    assert [r['score'] for r in top[0]['results']] == pytest.approx(
        sims[order].tolist(), abs=1e-5)

    with pytest.raises(KeyError, match="no attribute 'Wings'"):
        inferencer('Female, Wings')
    with pytest.raises(ValueError, match='contradicts itself: age'):
        inferencer('AgeOver60, AgeLess18')
    with pytest.raises(ValueError, match='empty query'):
        inferencer(' , ')


def test_model_hub(images, par_checkpoint, monkeypatch):
    from mmpretrain.apis.model import ModelHub

    from clear_mm.apis import model_index
    # MMPretrain's hub as it was afterwards; its own index (about 25 s to
    # read here) is not what this test is about
    monkeypatch.setattr(ModelHub, '_models_dict', dict(ModelHub._models_dict))
    monkeypatch.setattr(ModelHub, '_ModelHub__mmpretrain_registered', True)
    monkeypatch.setattr(model_index, '_in_hub', [])
    names = list_models()
    configs = {
        osp.splitext(osp.basename(p))[0]
        for d in ('clear', 'asmr', 'multitask', 'cerberus', 'clip')
        for p in __import__('glob').glob(osp.join(REPO, 'configs', d, '*.py'))
    }
    assert set(names) == configs  # every experiment config, by its name
    assert 'par_synthetic' not in ModelHub._models_dict  # not on import
    assert register_models() == names  # on request
    assert 'ret_synthetic' in mmpretrain.list_models('ret_synth*')
    # mmpretrain's get_model builds our configs by name, with our loader
    model = mmpretrain.get_model('par_synthetic', pretrained=par_checkpoint)
    assert model._dataset_meta['attributes'] == synthetic_meta()['attributes']
    # inference_model picks the attribute inferencer for a PAR model
    result = inference_model('par_synthetic', list_images(images)[0],
                             pretrained=par_checkpoint)
    assert len(result['scores']) == 26


def _trained_like(config, tmp_path, tiny_clip):
    """(config, checkpoint or None, cfg_options, metainfo) of a model of
    ``config`` bound to the synthetic schema, as tools/train.py leaves
    it."""
    from clear_mm.structures.semantic_ids import SemanticIDs
    rng = np.random.default_rng(0)
    labels = (rng.random((40, 26)) < 0.3).astype(np.int64)
    meta = synthetic_meta(train_labels=labels, person_ids=np.arange(40))
    options = {}
    if 'clip' in config:
        # no training, no checkpoint: the schema is given
        return None, {'model.clip': tiny_clip}, synthetic_meta()
    if 'cerberus' in config:
        sids = SemanticIDs(meta['attributes'], meta['sid_groups'], labels)
        options = {'model.num_sids': [len(s) for s in sids.sids],
                   'model.num_ids': 40}
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if hasattr(model, 'set_dataset_meta'):
        model.set_dataset_meta(meta)
    path = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=synthetic_meta())), path)
    return path, options, None


@pytest.mark.parametrize('config', [
    'multitask/baseline_par_synthetic.py', 'multitask/mtt_synthetic.py',
    'cerberus/cerberus_synthetic.py', 'clip/clip_zeroshot_synthetic.py'
])
def test_every_attribute_model(config, images, tmp_path, tiny_clip):
    config = osp.join(REPO, 'configs', config)
    checkpoint, options, metainfo = _trained_like(config, tmp_path,
                                                  tiny_clip)
    inferencer = PARInferencer(config, pretrained=checkpoint,
                               cfg_options=options, metainfo=metainfo)
    results = inferencer(images, batch_size=6)
    assert len(results) == 12
    for r in results:
        assert list(r['scores']) == synthetic_meta()['attributes']
        assert all(0 <= s <= 1 for s in r['scores'].values())
        ages = {'AgeOver60', 'Age18-60', 'AgeLess18'}
        assert len(ages & set(r['pred_attributes'])) == 1
    if hasattr(inferencer.model, 'encode_queries'):  # multi-task, Cerberus
        retrieval = AttributeRetrievalInferencer(inferencer.model,
                                                 gallery=images)
        top = retrieval('Female, Age18-60, Backpack', topk=5)[0]['results']
        scores = [r['score'] for r in top]
        assert len(top) == 5 and scores == sorted(scores, reverse=True)


def test_zero_shot_schema_from_test_dataset(tmp_path, tiny_clip, images):
    """CLIP zero-shot has no checkpoint: the attribute names come from the
    config's test dataset."""
    from tests.utils import small
    config = osp.join(REPO, 'configs', 'clip', 'clip_zeroshot_synthetic.py')
    options = {k: v for k, v in small(tmp_path, 1).items()
               if k.startswith('test_dataloader')}
    options['model.clip'] = tiny_clip
    inferencer = PARInferencer(config, cfg_options=options)
    assert inferencer.attributes == synthetic_meta()['attributes']
    assert len(inferencer(list_images(images)[:2])) == 2
