"""Search at scale on this machine: galleries of 10k, 100k and 1M
embeddings, exact (faiss ``IndexFlatIP``) against approximate (HNSW, what
``PersonSearcher`` uses from 200,000 images on): build time, index memory,
p50/p99 latency of one query, and recall@10 of the approximate search
against the exact one.

    python tools/analysis_tools/benchmark_search.py
    python tools/analysis_tools/benchmark_search.py --sizes 10000 100000 \
        --dim 256 --queries 200

The embeddings are synthetic but shaped like real ones: L2-normalised
points around a few thousand centres (attribute combinations), the
queries near the centres, at CLEAR's embedding size (2 x 128 for HA+SP).
How fast a folder is embedded is the inference benchmark's number
(``benchmark_inference.py``: images per second of the recognition model,
which the retrieval embedding adds two small layers to).
"""
import argparse
import time

import numpy as np


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', nargs='+', type=int,
                        default=[10_000, 100_000, 1_000_000])
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--centres', type=int, default=2_000)
    parser.add_argument('--queries', type=int, default=200)
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--hnsw-m', type=int, default=32)
    parser.add_argument('--ef-construction', type=int, default=80)
    parser.add_argument('--ef-search', type=int, nargs='+',
                        default=[32, 64, 128])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, centres: np.ndarray, noise: float, rng) -> np.ndarray:
    out = np.empty((n, centres.shape[1]), np.float32)
    for start in range(0, n, 100_000):  # bounded temporary memory
        stop = min(n, start + 100_000)
        which = rng.integers(len(centres), size=stop - start)
        out[start:stop] = normalised(
            centres[which] +
            noise * rng.standard_normal((stop - start, centres.shape[1])))
    return out


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


def percentile(values, q):
    return float(np.percentile(np.asarray(values) * 1000, q))


def main():
    args = parse_args()
    import faiss
    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    centres = normalised(rng.standard_normal((args.centres, args.dim)))
    queries = clustered(args.queries, centres, 0.02, rng)
    rows = []
    for n in args.sizes:
        data = clustered(n, centres, 0.05, rng)
        start = time.perf_counter()
        flat = faiss.IndexFlatIP(args.dim)
        flat.add(data)
        flat_build = time.perf_counter() - start
        flat_times, exact = latencies(flat, queries, args.topk)
        start = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(args.dim, args.hnsw_m,
                                   faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = args.ef_construction
        hnsw.add(data)
        hnsw_build = time.perf_counter() - start
        flat_mb = len(faiss.serialize_index(flat)) / 2**20
        hnsw_mb = len(faiss.serialize_index(hnsw)) / 2**20
        rows.append(dict(n=n, kind='exact (flat)', build=flat_build,
                         mb=flat_mb, p50=percentile(flat_times, 50),
                         p99=percentile(flat_times, 99), recall=1.0))
        for ef in args.ef_search:
            hnsw.hnsw.efSearch = ef
            times, found = latencies(hnsw, queries, args.topk)
            recall = np.mean([
                len(set(a) & set(b)) / args.topk
                for a, b in zip(found, exact)
            ])
            rows.append(dict(n=n, kind=f'HNSW M={args.hnsw_m} ef={ef}',
                             build=hnsw_build, mb=hnsw_mb,
                             p50=percentile(times, 50),
                             p99=percentile(times, 99), recall=recall))
        for r in rows[-1 - len(args.ef_search):]:
            print(f'{r["n"]:>9,} {r["kind"]:<22} build {r["build"]:7.1f} s '
                  f'{r["mb"]:8.0f} MiB  p50 {r["p50"]:7.2f} ms  p99 '
                  f'{r["p99"]:7.2f} ms  recall@{args.topk} '
                  f'{r["recall"]:.3f}', flush=True)
        del data, flat, hnsw
    print(f'\n{args.queries} single queries, dim {args.dim}, '
          f'{args.threads} threads, top-{args.topk}')
    print('| images | index | build (s) | size (MiB) | p50 (ms) | p99 (ms) '
          f'| recall@{args.topk} |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f'| {r["n"]:,} | {r["kind"]} | {r["build"]:.1f} | '
              f'{r["mb"]:.0f} | {r["p50"]:.2f} | {r["p99"]:.2f} | '
              f'{r["recall"]:.3f} |')


if __name__ == '__main__':
    main()
