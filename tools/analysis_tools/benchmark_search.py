"""Person search at scale on this machine, on hard embeddings.

Two galleries of ``--size`` embeddings (default 1M):

- ``model``: the retrieval model's own embeddings (and predicted attribute
  scores) of ``--source`` rendered test images, each replicated with
  identity-level noise: Gaussian noise sized so that a replica's cosine
  to its source is the median cosine between a source image and its
  nearest other source image (replicas are as far from their source as
  two different persons the model finds closest);
- ``uniform``: points drawn uniformly on the sphere, the worst case for
  a graph index (no structure to exploit).

For each, built and measured side by side: exact search (faiss
``IndexFlatIP``, the ground truth), HNSW (``efSearch`` tuned at build
time, as ``PersonSearcher`` does, to the smallest that finds 95 % of the
exact top 10 of held-out tuning queries), and a compressed index (faiss
IVF-PQ, ``--pq`` bytes per image): build time, memory (serialised size),
p50 / p99 latency of one query and recall@10 against exact search on
other held-out queries. Then, on the ``model`` gallery, end-to-end
latency of ``PersonSearcher.search`` (parse, encode, search, re-score)
for complete queries, partial queries (k = 1, 2, 3 attribute groups
unknown) and free-text descriptions, with recall@10 against the exact
(exhaustive) scoring. ``--milvus-size`` (default 100k) adds Milvus Lite
for reference only: it is an embedded test engine, not a Milvus server.

    python tools/analysis_tools/benchmark_search.py \
        configs/clear/ret_synthetic.py work_dirs/demo_ret/best.pth \
        --out results/benchmark_search.json
    # indexing throughput (decoding included) of tools/search.py index,
    # in PyTorch and with the model's exported image graph (--onnx)
    python tools/analysis_tools/benchmark_search.py \
        configs/clear/ret_synthetic.py work_dirs/demo_ret/best.pth \
        --indexing-only --indexing-images 512 --indexing-onnx fp32 int8 \
        --calibration data/synthetic/images
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import numpy as np


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='retrieval model config')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--images', default='data/synthetic/images',
                        help='rendered images (the test split is used)')
    parser.add_argument('--first-test-image', type=int, default=3500)
    parser.add_argument('--source', type=int, default=1000,
                        help='test images embedded as the sources')
    parser.add_argument('--size', type=int, default=1_000_000)
    parser.add_argument('--distributions', nargs='+',
                        default=['model', 'uniform'],
                        choices=['model', 'uniform'])
    parser.add_argument('--queries', type=int, default=200,
                        help='held-out queries for recall and latency')
    parser.add_argument('--e2e-queries', type=int, default=50,
                        help='queries of each kind, end to end')
    parser.add_argument('--pq', type=int, default=32,
                        help='bytes per image of the IVF-PQ codes')
    parser.add_argument('--nlist', type=int, default=1024,
                        help='IVF-PQ cells')
    parser.add_argument('--nprobe', type=int, nargs='+',
                        default=[16, 64, 256])
    parser.add_argument('--milvus-size', type=int, default=100_000,
                        help='0: no Milvus Lite reference')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--indexing-only', action='store_true')
    parser.add_argument('--indexing-images', type=int, default=512,
                        help='images indexed by tools/search.py index '
                        '(0: no indexing throughput)')
    parser.add_argument('--indexing-paper', action='store_true',
                        help='also the paper preset\'s indexing throughput: '
                        'the recognition model of configs/clear/'
                        'par_pa100k.py under the config\'s retrieval head, '
                        'random weights')
    parser.add_argument('--indexing-onnx', nargs='*', default=[],
                        choices=['fp32', 'fp16', 'int8'],
                        help='also index with the model\'s image graph '
                        'exported in these precisions (ONNX Runtime)')
    parser.add_argument('--calibration',
                        help='images for a static int8 graph (else dynamic)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the rows with their '
                        'provenance to this .json file')
    return parser.parse_args()


def normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def latencies(index, queries: np.ndarray, k: int):
    """Per-query seconds (one query at a time, as an operator asks) and
    the result ids."""
    times, ids = [], []
    for q in queries:
        start = time.perf_counter()
        _, found = index.search(q[None], k)
        times.append(time.perf_counter() - start)
        ids.append(found[0])
    return times, np.stack(ids)


def recall(found, exact) -> float:
    return float(np.mean([len(set(a[a >= 0]) & set(b)) / len(b)
                          for a, b in zip(found, exact)]))


def ms(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def source_images(args):
    from clear_mm.apis.base import list_images
    images = list_images(args.images)
    first = min(args.first_test_image, max(0, len(images) - args.source))
    return images[first:first + args.source]


def rendered_labels(images: str, paths) -> np.ndarray:
    """The attribute labels of rendered images (the dataset's
    ``meta.json``, beside its ``images/``)."""
    import json
    with open(osp.join(osp.dirname(osp.abspath(images)), 'meta.json')) as f:
        meta = json.load(f)
    row = {osp.basename(name): i for i, name in enumerate(meta['images'])}
    labels = np.asarray(meta['labels'])
    return labels[[row[osp.basename(p)] for p in paths]]


def replicate(source: np.ndarray, scores: np.ndarray, n: int, rng):
    """``n`` noisy replicas of the source embeddings and predicted scores,
    and the embedding noise's cosine to the source. The scores' noise is
    Gaussian in logit space, sized alike: a replica's logits are as far
    from its source's as the nearest other source's (median)."""
    sims = source @ source.T
    np.fill_diagonal(sims, -1)
    target = float(np.median(sims.max(1)))
    sigma = np.sqrt(1 / target**2 - 1)  # cos(x, x + sigma g) ~ target
    logits = np.log(np.clip(scores, 1e-6, 1 - 1e-6)) - np.log1p(
        -np.clip(scores, 1e-6, 1 - 1e-6))
    gaps = np.linalg.norm(logits[:, None] - logits[None], axis=2)
    np.fill_diagonal(gaps, np.inf)
    spread = float(np.median(gaps.min(1))) / np.sqrt(max(1,
                                                         scores.shape[1]))
    dim = source.shape[1]
    owner = rng.integers(len(source), size=n)
    out = np.empty((n, dim), np.float32)
    out_scores = np.empty((n, scores.shape[1]), np.float32)
    for start in range(0, n, 100_000):  # bounded temporary memory
        stop = min(n, start + 100_000)
        out[start:stop] = normalised(
            source[owner[start:stop]] + sigma / np.sqrt(dim) *
            rng.standard_normal((stop - start, dim)).astype(np.float32))
        out_scores[start:stop] = 1 / (1 + np.exp(-(
            logits[owner[start:stop]] + spread * rng.standard_normal(
                (stop - start, scores.shape[1])))))
    return out, out_scores, owner, target


def uniform(n: int, dim: int, rng) -> np.ndarray:
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        out[start:stop] = normalised(
            rng.standard_normal((stop - start, dim)).astype(np.float32))
    return out


def index_rows(name, data, tuning, queries, args):
    """Exact, HNSW (tuned efSearch) and IVF-PQ on ``data``."""
    import faiss

    from clear_mm.search.store import build_faiss, tune_ef_search
    n, dim = data.shape
    rows = []
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    build = time.perf_counter() - start
    times, exact = latencies(flat, queries, 10)
    mib = len(faiss.serialize_index(flat)) / 2**20
    rows.append(dict(distribution=name, n=n, index='exact (flat)',
                     build_s=build, mib=mib, bytes_per_image=mib * 2**20 / n,
                     p50_ms=ms(times, 50), p99_ms=ms(times, 99), recall=1.0))
    start = time.perf_counter()
    hnsw = build_faiss(data, approximate=True)
    build = time.perf_counter() - start
    start = time.perf_counter()
    ef, tuned = tune_ef_search(hnsw, data, tuning)
    tune = time.perf_counter() - start
    times, found = latencies(hnsw, queries, 10)
    mib = len(faiss.serialize_index(hnsw)) / 2**20
    rows.append(dict(distribution=name, n=n,
                     index=f'HNSW M=32, efSearch {ef} (tuned)',
                     build_s=build, tune_s=tune, mib=mib,
                     bytes_per_image=mib * 2**20 / n, ef_search=ef,
                     tuning_recall=tuned, p50_ms=ms(times, 50),
                     p99_ms=ms(times, 99), recall=recall(found, exact)))
    del hnsw
    nlist = min(args.nlist, n // 40)
    start = time.perf_counter()
    ivfpq = faiss.index_factory(dim, f'IVF{nlist},PQ{args.pq}',
                                faiss.METRIC_INNER_PRODUCT)
    sample = data[np.random.default_rng(args.seed).choice(
        n, min(n, 64 * nlist), replace=False)]
    ivfpq.train(sample)
    ivfpq.add(data)
    build = time.perf_counter() - start
    mib = len(faiss.serialize_index(ivfpq)) / 2**20
    for nprobe in args.nprobe:
        ivfpq.nprobe = nprobe
        times, found = latencies(ivfpq, queries, 10)
        rows.append(dict(distribution=name, n=n,
                         index=f'IVF{nlist},PQ{args.pq} nprobe {nprobe}',
                         build_s=build, mib=mib,
                         bytes_per_image=mib * 2**20 / n,
                         p50_ms=ms(times, 50), p99_ms=ms(times, 99),
                         recall=recall(found, exact)))
    # the PQ codes' top 100, re-ranked with the full vectors (kept on
    # disk: their bytes are not in the index's memory)
    refine = faiss.IndexRefineFlat(ivfpq, faiss.swig_ptr(data))
    refine.k_factor = 10
    ivfpq.nprobe = args.nprobe[-1]
    times, found = latencies(refine, queries, 10)
    rows.append(dict(distribution=name, n=n,
                     index=f'IVF{nlist},PQ{args.pq} nprobe '
                     f'{args.nprobe[-1]}, top 100 re-ranked',
                     build_s=build, mib=mib,
                     bytes_per_image=mib * 2**20 / n,
                     p50_ms=ms(times, 50), p99_ms=ms(times, 99),
                     recall=recall(found, exact)))
    for r in rows:
        print(f'  {r["index"]:<34} build {r["build_s"]:7.1f} s '
              f'{r["mib"]:8.0f} MiB ({r["bytes_per_image"]:6.0f} B/img)  '
              f'p50 {r["p50_ms"]:7.2f} ms  p99 {r["p99_ms"]:7.2f} ms  '
              f'recall@10 {r["recall"]:.3f}', flush=True)
    return rows


def milvus_rows(name, data, scores, queries, args, tmp):
    """Milvus Lite (HNSW) on the first ``--milvus-size`` rows: insert
    time, one query's latency unfiltered and with a camera filter, and
    recall@10 against exact search of the same rows."""
    from clear_mm.search.backends import Filter, MilvusGallery
    from clear_mm.search.store import exact_topk
    n = min(args.milvus_size, len(data))
    data, scores = data[:n], scores[:n]
    info = dict(model=dict(checkpoint_sha256='benchmark'),
                milvus=dict(uri=osp.join(tmp, f'{name}.db'),
                            collection=f'bench_{name}', index_type='HNSW'))
    gallery = MilvusGallery(tmp, info)
    cameras = np.random.default_rng(args.seed).integers(1, 7, n)
    start = time.perf_counter()
    for begin in range(0, n, 10_000):
        end = min(n, begin + 10_000)
        gallery.write(dict(
            embeddings=data[begin:end], scores=scores[begin:end],
            paths=np.array([f'{i:08d}_c{c}s1.jpg' for i, c in zip(
                range(begin, end), cameras[begin:end])]),
            cameras=cameras[begin:end].astype(np.int64),
            hashes=np.array([''] * (end - begin)),
            seq=np.arange(begin, end, dtype=np.int64)), {})
    gallery.commit({})
    build = time.perf_counter() - start
    exact = exact_topk(data, queries, 10)
    found, times, filtered = [], [], []
    few = queries[:min(len(queries), 50)]
    for q in few:
        start = time.perf_counter()
        ids = gallery.search(q[None], 10)
        times.append(time.perf_counter() - start)
        found.append(np.array([int(gallery.fetch([i])['paths'][0][:8])
                               for i in ids]))
        start = time.perf_counter()
        gallery.search(q[None], 10, Filter(cameras=[3]))
        filtered.append(time.perf_counter() - start)
    row = dict(distribution=name, n=n, index='Milvus Lite HNSW (reference)',
               build_s=build, p50_ms=ms(times, 50), p99_ms=ms(times, 99),
               filtered_p50_ms=ms(filtered, 50),
               recall=recall(found, exact[:len(few)]))
    print(f'  {row["index"]:<34} insert {build:7.1f} s  p50 '
          f'{row["p50_ms"]:7.2f} ms  filtered p50 '
          f'{row["filtered_p50_ms"]:7.2f} ms  recall@10 '
          f'{row["recall"]:.3f}', flush=True)
    gallery.close()
    return [row]


def end_to_end(searcher, exact, labels, args, rng):
    """p50 / p99 of ``searcher.search`` per query kind, and recall@10
    against the exhaustive scoring of ``exact`` (ties counted as
    found)."""
    from clear_mm.evaluation.metrics.partial_query_metric import \
        PartialQueryMetric
    from clear_mm.structures.descriptions import attribute_words
    names = searcher.parser.attributes
    metric = PartialQueryMetric()
    metric.dataset_meta = searcher.model.dataset_meta
    groups = metric.groups(len(names))
    combos = np.unique(labels, axis=0)
    kinds = {}
    for k in (0, 1, 2, 3):
        masked = PartialQueryMetric.masked_queries(combos, groups, k, rng)
        masked = masked[rng.permutation(len(masked))[:args.e2e_queries]]
        kinds[f'partial k={k}' if k else 'complete'] = [
            ', '.join(('' if v else '-') + names[i]
                      for i, v in enumerate(row) if v >= 0)
            for row in masked]
    texts = []
    for row in combos[rng.permutation(len(combos))[:args.e2e_queries]]:
        picked = rng.permutation(np.flatnonzero(row))[:3]
        texts.append('a person with ' + ' and '.join(
            attribute_words(names[i]) for i in picked))
    kinds['free text'] = texts
    rows = []
    for kind, queries in kinds.items():
        times, recalls, modes = [], [], set()
        for text in queries:
            try:
                parsed = searcher.parse(text)
            except (KeyError, ValueError):
                continue
            start = time.perf_counter()
            got = searcher.search(text, topk=10)
            times.append(time.perf_counter() - start)
            modes.add(got['mode'])
            want = exact.search(parsed, topk=10)['results']
            # tie-aware: a result counts when its exact score reaches the
            # exact tenth (the approximate path's scores are exact
            # re-scores)
            tenth = want[-1]['score'] - 1e-4 * max(1, abs(want[-1]['score']))
            recalls.append(sum(r['score'] >= tenth
                               for r in got['results']) / len(want))
        row = dict(kind=kind, queries=len(times), p50_ms=ms(times, 50),
                   p99_ms=ms(times, 99), recall=float(np.mean(recalls)),
                   modes=sorted(modes))
        rows.append(row)
        print(f'  {kind:<12} {len(times):3d} queries  p50 '
              f'{row["p50_ms"]:7.2f} ms  p99 {row["p99_ms"]:7.2f} ms  '
              f'recall@10 {row["recall"]:.3f}  ({", ".join(row["modes"])})',
              flush=True)
    return rows


def indexing(config, checkpoint, images, tmp, name, metainfo=None,
             weights='trained', onnx=None, runtime='PyTorch'):
    """Images per second of ``PersonSearcher.build`` over ``images``
    (decoding, embedding and writing included), in PyTorch or with the
    exported image graph ``onnx``."""
    from clear_mm.search import PersonSearcher
    start = time.perf_counter()
    searcher = PersonSearcher.build(config, checkpoint, images,
                                    osp.join(tmp, name), batch_size=32,
                                    metainfo=metainfo, onnx=onnx)
    seconds = time.perf_counter() - start
    row = dict(config=config, weights=weights, runtime=runtime,
               images=len(searcher), seconds=seconds,
               images_per_s=len(searcher) / seconds)
    print(f'  {config}, {runtime}: {row["images"]} images in {seconds:.1f} '
          f's, {row["images_per_s"]:.1f} img/s ({row["weights"]} weights)',
          flush=True)
    return row


def indexing_runtimes(config, checkpoint, images, tmp, name, args,
                      metainfo=None, weights='trained'):
    """:func:`indexing` in PyTorch, then with the model's image graph in
    each of ``args.indexing_onnx``'s precisions."""
    rows = [indexing(config, checkpoint, images, tmp, name, metainfo,
                     weights)]
    if not args.indexing_onnx:
        return rows
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.onnx_export import graph_input_size
    from clear_mm.deployment.precision import convert_precision
    model = init_model(config, checkpoint, metainfo=metainfo)
    size = graph_input_size(model._config)
    fp32 = osp.join(tmp, f'{name}_image.onnx')
    export_onnx(model, 'image', fp32, size, model.dataset_meta['attributes'])
    del model
    for precision in args.indexing_onnx:
        calibration = args.calibration if precision == 'int8' else None
        path = convert_precision(fp32, osp.join(tmp, f'{name}_{precision}'
                                                '.onnx'), precision,
                                 calibration, size)
        how = ' static' if calibration else \
            ' dynamic' if precision == 'int8' else ''
        rows.append(indexing(config, checkpoint, images, tmp,
                             f'{name}_{precision}', metainfo, weights,
                             onnx=path,
                             runtime=f'ONNX Runtime {precision}{how}'))
    return rows


def paper_config(config: str, tmp: str) -> str:
    """``config`` with the paper preset's recognition model (that of
    configs/clear/par_pa100k.py) and its test pipeline (input size),
    written to ``tmp``."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    paper = Config.fromfile('configs/clear/par_pa100k.py')
    cfg.model.par_model = paper.model
    # and its input size
    cfg.test_dataloader.dataset.pipeline = \
        paper.test_dataloader.dataset.pipeline
    if 'test_pipeline' in paper:
        cfg.test_pipeline = paper.test_pipeline
    path = osp.join(tmp, 'ret_paper_preset.py')
    cfg.dump(path)
    return path


def random_checkpoint(config, tmp):
    """A checkpoint of ``config``'s model with random weights (no
    pretrained file is read), carrying the config test set's schema."""
    import torch
    from mmengine.config import Config
    from mmpretrain.apis import get_model

    from clear_mm.models.utils.pretrained.configs import remove_pretrained
    cfg = Config.fromfile(config)
    remove_pretrained(cfg.model)
    for key in ('par_checkpoint', ):
        if cfg.model.get(key):
            cfg.model[key] = None
    model = get_model(cfg, pretrained=False)
    path = osp.join(tmp, osp.basename(config) + '.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=getattr(model, 'dataset_meta',
                                                   None))), path)
    return path


def main():
    args = parse_args()
    import faiss
    import torch

    from clear_mm.apis.base import list_images
    from clear_mm.search import PersonSearcher
    from clear_mm.search.backends import FaissGallery
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    record = dict(size=args.size, source=args.source, threads=args.threads,
                  indexes=[], end_to_end=[], indexing=[])
    with tempfile.TemporaryDirectory() as tmp:
        if args.indexing_images:
            print('Indexing throughput', flush=True)
            images = list_images(args.images)[:args.indexing_images]
            record['indexing'] += indexing_runtimes(
                args.config, args.checkpoint, images, tmp, 'trained', args)
            if args.indexing_paper:
                # the rendered images' schema (PA100K's 26 attributes)
                metainfo = PersonSearcher.open(
                    osp.join(tmp, 'trained')).model.dataset_meta
                config = paper_config(args.config, tmp)
                rows = indexing_runtimes(
                    config, random_checkpoint(config, tmp), images, tmp,
                    'paper', args, metainfo, 'random')
                for row in rows:
                    row['config'] = (f'{args.config} with the recognition '
                                     'model of configs/clear/par_pa100k.py')
                record['indexing'] += rows
        if args.indexing_only:
            return finish(record, args)
        source = source_images(args)
        searcher = PersonSearcher.build(args.config, args.checkpoint, source,
                                        osp.join(tmp, 'source'))
        table = searcher.gallery
        labels = rendered_labels(args.images, table['paths'])
        for name in args.distributions:
            print(f'{name}: {args.size:,} embeddings', flush=True)
            emb, scores = table['embeddings'], table['scores']
            if name == 'model':
                data, data_scores, owner, cos = replicate(
                    emb, scores, args.size, rng)
                held_out, _, _, _ = replicate(emb, scores,
                                              2 * args.queries, rng)
                record['replica_cosine'] = cos
                print(f'  replicas at cosine {cos:.3f} from their source',
                      flush=True)
            else:
                data = uniform(args.size, emb.shape[1], rng)
                data_scores = rng.random((args.size, scores.shape[1]),
                                         dtype=np.float32)
                held_out = uniform(2 * args.queries, emb.shape[1], rng)
            tuning, queries = held_out[:args.queries], held_out[args.queries:]
            record['indexes'] += index_rows(name, data, tuning, queries, args)
            if args.milvus_size:
                record['indexes'] += milvus_rows(name, data, data_scores,
                                                 queries, args, tmp)
            if name == 'model':
                print('  end to end (PersonSearcher.search)', flush=True)
                paths = np.array([f'{i:08d}_c1s1.jpg'
                                  for i in range(args.size)])
                rows = dict(embeddings=data, scores=data_scores,
                            paths=paths,
                            cameras=np.ones(args.size, np.int64))
                info = dict(searcher.info, approximate=True)
                approx = PersonSearcher(
                    tmp, searcher.model, info,
                    FaissGallery(tmp, info, rows=rows))
                start = time.perf_counter()
                # as PersonSearcher builds it: the joint vectors' graph,
                # efSearch tuned on the model's own queries
                approx.faiss_index = approx.backend.build_index()
                approx.backend.tune()
                ef = approx.info['ef_search']
                record['end_to_end_ef_search'] = ef
                record['end_to_end_tuning_recall'] = approx.info[
                    'ef_search_recall_at_10']
                record['end_to_end_index'] = 'joint' if \
                    approx.backend.joint_index else 'embedding'
                record['end_to_end_build_s'] = time.perf_counter() - start
                print(f'  HNSW built and tuned (efSearch {ef}, recall@10 '
                      f'{approx.info["ef_search_recall_at_10"]:.3f} on the '
                      'tuning queries) in '
                      f'{time.perf_counter() - start:.0f} s', flush=True)
                exact = PersonSearcher(
                    tmp, searcher.model, dict(info, approximate=False),
                    FaissGallery(tmp, dict(info, approximate=False),
                                 rows=rows))
                record['end_to_end'] = end_to_end(approx, exact, labels,
                                                  args, rng)
                del approx, exact
            del data, data_scores
    return finish(record, args)


def finish(record, args):
    print('\n| distribution | images | index | build (s) | bytes / image | '
          'p50 (ms) | p99 (ms) | recall@10 |')
    print('|---|---|---|---|---|---|---|---|')
    for r in record['indexes']:
        per = r.get('bytes_per_image')
        print(f'| {r["distribution"]} | {r["n"]:,} | {r["index"]} | '
              f'{r["build_s"]:.1f} | {"-" if per is None else f"{per:.0f}"} '
              f'| {r["p50_ms"]:.2f} | {r["p99_ms"]:.2f} | '
              f'{r["recall"]:.3f} |')
    if record['end_to_end']:
        print(f'\n| query ({args.size:,} images) | p50 (ms) | p99 (ms) | '
              'recall@10 |')
        print('|---|---|---|---|')
        for r in record['end_to_end']:
            print(f'| {r["kind"]} | {r["p50_ms"]:.2f} | {r["p99_ms"]:.2f} | '
                  f'{r["recall"]:.3f} |')
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        mmengine.dump(dict(provenance(args.config, None, args.checkpoint),
                           **record), args.out, indent=1)


if __name__ == '__main__':
    main()
