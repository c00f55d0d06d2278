"""The files of a gallery index and the faiss index in them.

An index is a folder::

    index.json          what made it (config, checkpoint and its sha256),
                        the attributes, the count, the current files
    model_config.py     the model's config, as it was
    gallery-<n>.npz     per image: embedding, predicted attribute scores,
                        path, camera (parsed from Market-1501-style names)
    faiss-<n>.index     the faiss index of the embeddings

Every write makes generation ``n + 1`` files, then replaces ``index.json``
atomically, then removes generation ``n``: a crash leaves the previous
index readable. Writers take an exclusive lock on the folder's ``.lock``
(:func:`index_lock`): a second writer waits, then adds onto what the first
wrote. Embeddings are L2-normalised; faiss searches by inner
product, exactly (``IndexFlatIP``) below ``approximate_from`` images and
with an HNSW graph above.
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
# HNSW search breadth: recall@10 1.000 at 1M items, 0.36 ms per query, in
# tools/analysis_tools/benchmark_search.py (faiss' default is 16)
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


def build_faiss(embeddings: np.ndarray, approximate: bool):
    """A faiss inner-product index of ``embeddings``: HNSW when
    ``approximate``, else exact."""
    import faiss
    dim = embeddings.shape[1]
    if approximate:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return index


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
            index.hnsw.efSearch = EF_SEARCH
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
