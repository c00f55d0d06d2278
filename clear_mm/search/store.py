"""The files of a gallery index and the faiss index in them.

An index is a folder::

    index.json          what made it (config, checkpoint and its sha256),
                        the backend, the attributes, the count, the
                        current files, the tuned HNSW efSearch
    model_config.py     the model's config, as it was
    gallery-<n>.npz     per image: embedding, predicted attribute scores,
                        path, camera (parsed from Market-1501-style
                        names), content sha256, order added
    faiss-<n>.index     the faiss index (embeddings, or joint vectors)
    shards/<run>/       rows written by an add not yet joined (a killed
                        add's are adopted by the next)

A Milvus index folder holds ``index.json`` and ``model_config.py`` only:
its rows are in the collection (:mod:`clear_mm.search.backends`).

Every write makes generation ``n + 1`` files, then replaces ``index.json``
atomically, then removes generation ``n``: a crash leaves the previous
index readable. Writers take an exclusive lock on the folder's ``.lock``
(:func:`index_lock`): a second writer waits, then adds onto what the first
wrote. Embeddings are L2-normalised; faiss searches by inner
product, exactly below ``approximate_from`` images and with an HNSW graph
above (of joint vectors for a model with predicted probabilities:
:func:`joint_vectors`).
"""
import hashlib
import io
import json
import os
import os.path as osp
import re
import time
from contextlib import contextmanager
from typing import Optional, Tuple

import numpy as np

from clear_mm.utils.io import atomic_write
from clear_mm.utils.provenance import sha256_of as file_sha256

FORMAT = 1
# HNSW search breadth when no tuning queries are at hand (faiss' default
# is 16); an index built with them records its own (tune_ef_search)
EF_SEARCH = 128
CAMERA = re.compile(r'_c(\d+)')


def weights_sha256(path: str) -> str:
    """sha256 of a checkpoint file, or of a model folder (CLIP: every
    file's relative path and sha256, in order)."""
    if osp.isfile(path):
        return file_sha256(path)
    digest = hashlib.sha256()
    for root, _, names in sorted(os.walk(path)):
        for name in sorted(names):
            full = osp.join(root, name)
            digest.update(osp.relpath(full, path).encode('utf-8'))
            digest.update(file_sha256(full).encode('ascii'))
    return digest.hexdigest()


def camera_of(path: Optional[str]) -> int:
    """The camera of a Market-1501-style name (``0002_c3s1_...`` -> 3),
    else -1."""
    match = CAMERA.search(osp.basename(path or ''))
    return int(match.group(1)) if match else -1


# predicted probabilities are clamped to [EPS, 1 - EPS], as the scorer does
EPS = 1e-6


def joint_vectors(embeddings: np.ndarray, scores: np.ndarray,
                  sigma: float) -> np.ndarray:
    """``[sigma e, logit p, log(1 - p)]`` per image: its inner product with
    a :func:`joint_queries` row is the score of that query embedding plus
    the log-likelihood of the query's specified attributes (the scorer's
    combined score for one combination)."""
    p = np.clip(scores.astype(np.float64), EPS, 1 - EPS)
    return np.hstack([sigma * embeddings, np.log(p) - np.log1p(-p),
                      np.log1p(-p)]).astype(np.float32)


def joint_queries(embeddings: Optional[np.ndarray], vector: np.ndarray,
                  dim: int) -> np.ndarray:
    """``[E_c, m q, m]`` per query embedding ``E_c`` (``m``: the specified
    attributes of ``vector``; ``E`` zero when None: the likelihood
    alone)."""
    vector = np.asarray(vector)
    known = (vector >= 0).astype(np.float32)
    if embeddings is None:
        embeddings = np.zeros((1, dim), np.float32)
    tail = np.hstack([known * np.clip(vector, 0, 1), known])
    return np.hstack([embeddings, np.repeat(tail[None], len(embeddings),
                                            0)]).astype(np.float32)


def joint_bound(sigma: float, num_scores: int) -> float:
    """The largest norm a :func:`joint_vectors` row can have."""
    most = -np.log(EPS)  # |logit p| and |log(1 - p)| under the clamp
    return float(np.sqrt(sigma**2 + 2 * num_scores * most**2) + 1e-3)


def augmented(x: np.ndarray, bound: float, query: bool = False):
    """Maximum inner product as nearest neighbour: rows get
    ``sqrt(bound^2 - |x|^2)`` as a last coordinate, queries 0, so that
    the L2-nearest rows are those of the largest inner product."""
    x = np.asarray(x, np.float32)
    last = np.zeros((len(x), 1), np.float32) if query else np.sqrt(
        np.maximum(bound**2 - (x.astype(np.float64)**2).sum(1), 0))[:, None]
    return np.ascontiguousarray(np.hstack([x, last]), dtype=np.float32)


def build_faiss(embeddings: np.ndarray, approximate: bool,
                metric: str = 'ip'):
    """A faiss index of ``embeddings`` by inner product (``metric`` 'ip')
    or L2 distance ('l2'): HNSW when ``approximate``, else exact."""
    import faiss
    dim = embeddings.shape[1]
    kind = faiss.METRIC_INNER_PRODUCT if metric == 'ip' else faiss.METRIC_L2
    if approximate:
        index = faiss.IndexHNSWFlat(dim, 32, kind)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = EF_SEARCH
    else:
        index = faiss.IndexFlat(dim, kind)
    index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return index


def exact_topk(embeddings: np.ndarray, queries: np.ndarray,
               k: int) -> np.ndarray:
    """``(Q, k)`` ids of each query's ``k`` largest inner products, by
    brute force (in blocks of 100,000 rows)."""
    best_ids = np.zeros((len(queries), 0), np.int64)
    best = np.zeros((len(queries), 0), np.float32)
    for start in range(0, len(embeddings), 100_000):
        sims = queries @ embeddings[start:start + 100_000].T
        ids = np.arange(start, start + sims.shape[1])[None].repeat(
            len(queries), 0)
        sims, ids = np.hstack([best, sims]), np.hstack([best_ids, ids])
        top = np.argsort(-sims, axis=1, kind='stable')[:, :k]
        best = np.take_along_axis(sims, top, 1)
        best_ids = np.take_along_axis(ids, top, 1)
    return best_ids


def tune_ef_search(index, embeddings: np.ndarray, queries: np.ndarray,
                   k: int = 10, target: float = 0.95,
                   choices=(16, 32, 64, 128, 256, 512, 1024),
                   index_queries: Optional[np.ndarray] = None):
    """The smallest HNSW ``efSearch`` of ``choices`` at which the graph
    finds ``target`` of the exact top ``k`` (largest inner product with
    ``embeddings``) of ``queries`` (recall@k), and that recall; the
    largest choice when none reaches it. ``index_queries``: the queries
    as the index takes them, when that differs (augmented)."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    exact = exact_topk(embeddings, queries, k)
    if index_queries is None:
        index_queries = queries
    for ef in choices:
        index.hnsw.efSearch = ef
        _, found = index.search(index_queries, k)
        recall = float(np.mean([len(set(a) & set(b)) / k
                                for a, b in zip(found, exact)]))
        if recall >= target:
            break
    return ef, recall


@contextmanager
def index_lock(index_dir: str, timeout: float = 600.0):
    """One writer of ``index_dir`` at a time: an exclusive ``flock`` on its
    ``.lock`` file (released when the process ends, however it ends); a
    second writer waits for it, up to ``timeout`` seconds. Where the
    platform has no ``fcntl`` (Windows), writers are not serialised."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(osp.join(index_dir, '.lock'), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f'{index_dir} has been locked by another writer for '
                        f'{timeout:.0f} s (its .lock file); try again when '
                        'that one has finished.') from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def read_info(index_dir: str) -> dict:
    """``index.json`` of an index folder, checked."""
    path = osp.join(index_dir, 'index.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{index_dir} is no gallery index (no index.json); build '
            'one with tools/search.py index.')
    with open(path, encoding='utf-8') as f:
        info = json.load(f)
    if info.get('format') != FORMAT:
        raise ValueError(f'{path}: index format {info.get("format")}, '
                         f'this version reads {FORMAT}.')
    return info


def read_gallery(index_dir: str, info: dict) -> Tuple[dict, Optional[object]]:
    """The gallery arrays and the faiss index of the current generation."""
    with np.load(osp.join(index_dir, info['files']['gallery'])) as data:
        gallery = {k: data[k] for k in data.files}
    if len(gallery['paths']) != info['count']:
        raise ValueError(f'{index_dir}: index.json lists '
                         f'{info["count"]} images, the gallery file '
                         f'{len(gallery["paths"])}.')
    index = None
    faiss_file = info['files'].get('faiss')
    if faiss_file:
        import faiss
        index = faiss.read_index(osp.join(index_dir, faiss_file))
        if hasattr(index, 'hnsw'):
            index.hnsw.efSearch = info.get('ef_search', EF_SEARCH)
    return gallery, index


def write_info(index_dir: str, info: dict) -> None:
    """Replace ``index.json`` atomically."""
    atomic_write(json.dumps(info, indent=1).encode('utf-8'),
                 osp.join(index_dir, 'index.json'))


def next_generation(info: dict, count: int, approximate: bool) -> dict:
    """``info`` of the next generation: its files and count."""
    n = info['generation'] + 1
    return dict(
        info,
        generation=n,
        count=int(count),
        files=dict(gallery=f'gallery-{n}.npz', faiss=f'faiss-{n}.index'),
        approximate=approximate)


def write_generation(index_dir: str, info: dict, gallery: dict,
                     faiss_index, approximate: bool) -> dict:
    """Write generation n + 1, switch ``index.json`` to it, then remove
    generation n; returns the new ``info``."""
    import faiss
    old_files = dict(info.get('files') or {})
    info = next_generation(info, len(gallery['paths']), approximate)
    buffer = io.BytesIO()
    np.savez(buffer, **gallery)
    atomic_write(buffer.getvalue(),
                 osp.join(index_dir, info['files']['gallery']))
    atomic_write(
        faiss.serialize_index(faiss_index).tobytes(),
        osp.join(index_dir, info['files']['faiss']))
    write_info(index_dir, info)
    for name in old_files.values():
        path = osp.join(index_dir, name)
        if osp.isfile(path):
            os.remove(path)
    return info
