"""Where a gallery lives: one interface, two engines.

:class:`FaissGallery` (the default) keeps the gallery in local files
(:mod:`clear_mm.search.store`) and in memory, and searches it with faiss:
fast and proven on one machine. :class:`MilvusGallery` keeps it in a
Milvus collection through ``pymilvus``: a Milvus Lite file (``*.db``, an
embedded engine for tests and laptops), a standalone server or a
distributed cluster (``http://HOST:19530``), for galleries that outgrow
one machine.

Both hold the same row per image: the path, its content's sha256, its
camera, its embedding, the model's predicted attribute scores and its
position in the order images were added (``seq``). A :class:`Filter`
(cameras, predicted attributes) is pushed down into the search: a faiss
ID selector, a Milvus filter expression. Indexing is resumable: rows are
written in chunks as they are embedded (faiss: shard files that the
commit joins; Milvus: upserts keyed by the path), and an image already
there with the same content is not embedded again.
"""
import hashlib
import logging
import os
import os.path as osp
import re
import shutil
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from clear_mm.utils.io import atomic_write
from .store import (EF_SEARCH, augmented, build_faiss, camera_of,
                    index_lock, joint_bound, joint_vectors,
                    read_gallery, tune_ef_search, write_generation)

FIELDS = ('embeddings', 'scores', 'paths', 'cameras', 'hashes', 'seq')
# below this fraction of the gallery passing a filter, HNSW is not asked
# (it would visit mostly filtered-out nodes): the passing rows are scored
# exactly instead
SELECTIVE = 0.2
BACKENDS = ('faiss', 'milvus')


@dataclass
class Filter:
    """Which images a search may return: those of ``cameras`` (None:
    all) whose predicted score is above ``thr`` for every attribute index
    in ``present`` and not above it for every one in ``absent``."""
    cameras: Optional[Sequence[int]] = None
    present: Sequence[int] = ()
    absent: Sequence[int] = ()
    thr: float = 0.5

    def __bool__(self) -> bool:
        return self.cameras is not None or bool(self.present) or \
            bool(self.absent)

    def mask(self, cameras: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """``(N, )`` whether each row passes (NumPy; the faiss backend's
        reading, and the reference for Milvus')."""
        keep = np.ones(len(cameras), dtype=bool)
        if self.cameras is not None:
            keep &= np.isin(cameras, list(self.cameras))
        for j in self.present:
            keep &= scores[:, j] > self.thr
        for j in self.absent:
            keep &= scores[:, j] <= self.thr
        return keep

    def expression(self) -> str:
        """The same filter as a Milvus boolean expression."""
        terms = []
        if self.cameras is not None:
            terms.append(f'camera in {[int(c) for c in self.cameras]}')
        terms += [f'scores[{int(j)}] > {float(self.thr)!r}'
                  for j in self.present]
        terms += [f'scores[{int(j)}] <= {float(self.thr)!r}'
                  for j in self.absent]
        return ' and '.join(terms)


def try_lock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` if it is free. Where the
    platform has no ``fcntl`` (Windows), only a run's own folder counts as
    free: killed runs are not adopted there."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def content_hash(item) -> str:
    """sha256 of an image file's bytes (or of an array's)."""
    if isinstance(item, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(item).tobytes()).hexdigest()
    from clear_mm.utils.provenance import sha256_of
    return sha256_of(str(item))


def empty_rows(dim: int = 0, num_scores: int = 0) -> dict:
    return dict(
        embeddings=np.zeros((0, dim), np.float32),
        scores=np.zeros((0, num_scores), np.float32),
        paths=np.zeros(0, dtype=str),
        cameras=np.zeros(0, np.int64),
        hashes=np.zeros(0, dtype=str),
        seq=np.zeros(0, np.int64))


def concat_rows(parts: List[dict]) -> dict:
    parts = [p for p in parts if len(p['paths'])]
    if not parts:
        return empty_rows()
    widths = {p['scores'].shape[1] for p in parts}
    out = {k: np.concatenate([p[k] for p in parts])
           for k in FIELDS if k != 'scores'}
    out['scores'] = np.concatenate([p['scores'] for p in parts]) if \
        len(widths) == 1 else np.zeros((len(out['paths']), 0), np.float32)
    return out


def take(rows: dict, ids) -> dict:
    return {k: v[ids] for k, v in rows.items()}


def check_changed(index_name: str, known: Dict[str, str], paths, hashes):
    """An image path already indexed with other content is an error:
    its row would describe another picture."""
    changed = [p for p, h in zip(paths, hashes)
               if p in known and known[p] and h and known[p] != h]
    if changed:
        raise ValueError(
            f'{len(changed)} images changed since {index_name} indexed them '
            f'(same path, other content; first: {changed[:3]}). Index '
            'changed images under new paths, or rebuild the index.')


class Gallery:
    """The interface :class:`PersonSearcher` searches through.

    Row handles (``ids``) are the backend's own: row numbers for faiss,
    primary keys for Milvus. Every method that returns rows returns a
    dict of aligned arrays: ``ids`` and :data:`FIELDS`.
    """
    kind = ''
    # score every row (a small exact gallery) rather than ask the engine
    # for candidates
    exhaustive = False

    def __len__(self) -> int:
        raise NotImplementedError

    def start_add(self) -> dict:
        """Rank 0, before an add: what the ranks share (``offset``: the
        first ``seq`` of this add)."""
        return dict(offset=len(self))

    def known(self, paths: Sequence[str], session: dict) -> Dict[str, str]:
        """``{path: sha256}`` of those of ``paths`` already written."""
        raise NotImplementedError

    def write(self, rows: dict, session: dict) -> None:
        """Write one chunk of embedded rows (any rank)."""
        raise NotImplementedError

    def commit(self, session: dict) -> None:
        """Rank 0, after every rank wrote: make the rows searchable."""

    def reload(self) -> None:
        """Another rank committed: read what it wrote."""

    @property
    def joint(self) -> Optional[dict]:
        """``{'sigma': ...}`` when attribute queries search the joint
        vectors (:func:`~clear_mm.search.store.joint_vectors`: embedding
        and predicted scores, so that the candidates are those of the
        combined score, not of the embedding alone); else None."""
        joint = self.info.get('joint')
        return joint if joint and self.num_scores else None

    def search(self, vectors: np.ndarray, k: int,
               flt: Optional[Filter] = None) -> np.ndarray:
        """The ids of the union of each vector's ``k`` rows of largest
        inner product that pass ``flt``. ``vectors`` are embeddings
        ``(Q, D)`` (image and text queries) or, when :attr:`joint`,
        joint queries ``(Q, D + 2A)``
        (:func:`~clear_mm.search.store.joint_queries`)."""
        raise NotImplementedError

    def fetch(self, ids) -> dict:
        raise NotImplementedError

    def scan(self, flt: Optional[Filter] = None) -> dict:
        """Every row that passes ``flt``."""
        raise NotImplementedError

    def table(self) -> dict:
        """Every row, in the order they were added (``seq``)."""
        rows = self.scan()
        return take(rows, np.argsort(rows['seq'], kind='stable'))

    def cameras(self) -> List[int]:
        return sorted({int(c) for c in self.scan()['cameras']})

    @property
    def num_scores(self) -> int:
        """How many attribute scores each row has (0: the model predicts
        none)."""
        raise NotImplementedError


# -- faiss on local files ----------------------------------------------------
class FaissGallery(Gallery):
    """The gallery in an index folder's files, searched with faiss: exactly
    (``IndexFlatIP``) below ``approximate_from`` images, with an HNSW
    graph from there on. An add writes its chunks as shard files under
    ``shards/<run>/`` (every rank its own), and the commit joins them into
    the next generation of the folder's files under the folder's lock. A
    run that was killed leaves its shards; the next add adopts them, so
    their images are not embedded again.

    When the HNSW graph is built, its ``efSearch`` is the smallest that
    finds 95 % of the exact top 10 of ``tuning_queries()`` (the model's
    own query embeddings, given by the searcher), recorded in
    ``index.json``."""
    kind = 'faiss'
    tuning_queries = None

    def __init__(self, index_dir: str, info: dict,
                 rows: Optional[dict] = None, index=None,
                 approximate_from: int = 200_000):
        self.index_dir = index_dir
        self.info = info
        self.approximate_from = approximate_from
        if rows is None:
            rows, index = (read_gallery(index_dir, info)
                           if info.get('files') else (empty_rows(), None))
        self.rows = self._complete(rows)
        self.index = index

    @staticmethod
    def _complete(rows: dict) -> dict:
        n = len(rows['paths'])
        rows = dict(rows)
        rows.setdefault('hashes', np.full(n, '', dtype='<U64'))
        rows.setdefault('seq', np.arange(n, dtype=np.int64))
        if 'cameras' not in rows:
            rows['cameras'] = np.array([camera_of(p) for p in rows['paths']],
                                       dtype=np.int64)
        return rows

    @property
    def approximate(self) -> bool:
        return bool(self.info.get('approximate'))

    @property
    def num_scores(self) -> int:
        return int(self.rows['scores'].shape[1])

    @property
    def dim(self) -> int:
        return int(self.rows['embeddings'].shape[1])

    @property
    def exhaustive(self) -> bool:
        return not self.approximate

    def __len__(self) -> int:
        return int(len(self.rows['paths']))

    # -- writing -------------------------------------------------------------
    def _shards(self) -> str:
        return osp.join(self.index_dir, 'shards')

    def start_add(self) -> dict:
        """A run folder for this add, locked while the run lives, and the
        run folders of killed runs (their lock is free), adopted."""
        run = f'{time.strftime("%Y%m%d-%H%M%S")}-{uuid.uuid4().hex[:8]}'
        # locked under a hidden name, then shown: no other writer can
        # take a live run for a killed one
        hidden = osp.join(self._shards(), '.' + run)
        os.makedirs(hidden)
        fd = os.open(osp.join(hidden, '.lock'), os.O_CREAT | os.O_RDWR,
                     0o644)
        try_lock(fd)
        os.rename(hidden, osp.join(self._shards(), run))
        self._locks = [fd]
        adopted = []
        for name in sorted(os.listdir(self._shards())):
            folder = osp.join(self._shards(), name)
            if name == run or name.startswith('.') or not osp.isdir(folder):
                continue
            fd = os.open(osp.join(folder, '.lock'), os.O_CREAT | os.O_RDWR,
                         0o644)
            if not try_lock(fd):  # another live run's
                os.close(fd)
                continue
            self._locks.append(fd)
            adopted.append(name)
        return dict(offset=len(self), run=run, adopted=adopted)

    def _shard_files(self, runs: Sequence[str]) -> List[str]:
        return [osp.join(self._shards(), run, name) for run in runs
                if osp.isdir(osp.join(self._shards(), run))
                for name in sorted(os.listdir(osp.join(self._shards(), run)))
                if name.endswith('.npz')]

    def _read_shard(self, path: str, fields=FIELDS) -> dict:
        with np.load(path) as data:
            model = str(data['model'])
            if model != self.info['model']['checkpoint_sha256']:
                raise ValueError(
                    f'{path} holds embeddings of another model (sha256 '
                    f'{model[:12]}); remove it, it cannot join '
                    f'{self.index_dir}.')
            return {k: data[k] for k in fields}

    def known(self, paths, session) -> Dict[str, str]:
        wanted = set(paths)
        out = {p: h for p, h in zip(self.rows['paths'].tolist(),
                                    self.rows['hashes'].tolist())
               if p in wanted}
        for path in self._shard_files(session['adopted']):
            shard = self._read_shard(path, ('paths', 'hashes'))
            out.update((p, h) for p, h in zip(shard['paths'].tolist(),
                                               shard['hashes'].tolist())
                       if p in wanted)
        return out

    def write(self, rows, session) -> None:
        from mmengine.dist import get_rank
        import io
        folder = osp.join(self._shards(), session['run'])
        n = len([f for f in os.listdir(folder)
                 if f.startswith(f'rank{get_rank()}-')])
        buffer = io.BytesIO()
        np.savez(buffer, model=self.info['model']['checkpoint_sha256'],
                 **{k: rows[k] for k in FIELDS})
        atomic_write(buffer.getvalue(),
                     osp.join(folder, f'rank{get_rank()}-{n:06d}.npz'))

    def commit(self, session) -> None:
        """Join this run's and the adopted runs' shards into the next
        generation, under the folder's lock (another writer may have
        committed since this one opened: its rows are kept)."""
        runs = [session['run']] + list(session['adopted'])
        with index_lock(self.index_dir):
            self.reload()
            new = concat_rows([self._read_shard(f)
                               for f in self._shard_files(runs)])
            if len(new['paths']):
                new = take(new, np.lexsort((new['paths'], new['seq'])))
                self._append(new)
            for run in runs:
                shutil.rmtree(osp.join(self._shards(), run),
                              ignore_errors=True)
        for fd in getattr(self, '_locks', []):
            os.close(fd)
        self._locks = []
        if osp.isdir(self._shards()) and not os.listdir(self._shards()):
            os.rmdir(self._shards())

    def _append(self, new: dict) -> None:
        # an image another writer (or a shard twice) added already
        have = dict(zip(self.rows['paths'].tolist(),
                        self.rows['hashes'].tolist()))
        check_changed(self.index_dir, have, new['paths'].tolist(),
                      new['hashes'].tolist())
        _, first = np.unique(new['paths'], return_index=True)
        fresh = np.zeros(len(new['paths']), dtype=bool)
        fresh[first] = True
        fresh &= ~np.isin(new['paths'], self.rows['paths'])
        new = take(new, np.flatnonzero(fresh))
        if not len(new['paths']):
            return
        old_count = len(self)
        rows = concat_rows([self.rows, new]) if old_count else new
        approximate = len(rows['paths']) >= self.approximate_from
        self.info = dict(self.info, approximate=approximate)
        if self.index is not None and self.index.ntotal == old_count and \
                hasattr(self.index, 'hnsw') == approximate:
            # incremental: HNSW links the new nodes into its graph, a flat
            # index appends them; rebuilt only when crossing the threshold
            self.index.add(self._index_vectors(new))
            self.rows = rows
        else:
            self.rows = rows
            self.index = self.build_index()
            self.tune()
        self.info = write_generation(self.index_dir, self.info,
                                     self.rows, self.index, approximate)

    # -- the faiss index -----------------------------------------------------
    @property
    def joint_index(self) -> bool:
        """Whether the faiss index holds augmented joint vectors (an HNSW
        graph of a model with predicted probabilities)."""
        return bool(self.approximate and self.joint)

    def _index_vectors(self, rows: dict) -> np.ndarray:
        if not self.joint_index:
            return np.ascontiguousarray(rows['embeddings'], np.float32)
        sigma = self.joint['sigma']
        return augmented(
            joint_vectors(rows['embeddings'], rows['scores'], sigma),
            joint_bound(sigma, rows['scores'].shape[1]))

    def build_index(self):
        """The faiss index of the rows: exact by inner product below
        ``approximate_from`` images; HNSW above, by inner product of the
        embeddings or, with joint vectors, by L2 distance of their
        augmented form (the same order as their inner product)."""
        return build_faiss(self._index_vectors(self.rows), self.approximate,
                           'l2' if self.joint_index else 'ip')

    def _queries(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` as the index takes them: an embedding searches a
        joint index as ``[e / sigma, 0, 0]`` (its cosine), augmented."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.joint_index:
            return vectors
        width = self.rows['embeddings'].shape[1]
        if vectors.shape[1] == width:
            vectors = np.hstack([
                vectors / self.joint['sigma'],
                np.zeros((len(vectors), 2 * self.num_scores), np.float32)])
        return augmented(vectors, 0, query=True)

    def _row_vectors(self, ids, width: int) -> np.ndarray:
        """The rows' vectors matching queries of ``width``."""
        rows = take(self.rows, ids)
        if width == rows['embeddings'].shape[1]:
            return rows['embeddings']
        return joint_vectors(rows['embeddings'], rows['scores'],
                             self.joint['sigma'])

    def tune(self) -> None:
        """Tune an HNSW graph's ``efSearch`` on ``tuning_queries()``."""
        if not self.approximate or self.tuning_queries is None:
            return
        queries = self.tuning_queries()
        if queries is None:
            return
        ids = np.arange(len(self))
        ef, recall = tune_ef_search(
            self.index, self._row_vectors(ids, queries.shape[1]), queries,
            index_queries=self._queries(queries))
        self.info = dict(self.info, ef_search=ef,
                         ef_search_recall_at_10=round(recall, 4))

    def reload(self) -> None:
        path = osp.join(self.index_dir, 'index.json')
        if not osp.isfile(path):
            return
        from .store import read_info
        info = read_info(self.index_dir)
        if info['generation'] != self.info.get('generation') or \
                len(self) != info['count']:
            self.info = info
            rows, self.index = read_gallery(self.index_dir, info) if \
                info.get('files') else (empty_rows(), None)
            self.rows = self._complete(rows)

    # -- searching -----------------------------------------------------------
    def search(self, vectors, k, flt=None) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        k = min(k, len(self))
        if k == 0:
            return np.zeros(0, np.int64)
        keep = None if not flt else flt.mask(self.rows['cameras'],
                                             self.rows['scores'])
        passing = np.arange(len(self)) if keep is None else \
            np.flatnonzero(keep)
        if not self.approximate or len(passing) < SELECTIVE * len(self):
            # exact over the passing rows (a flat index, or a selective
            # filter that would leave a graph search few nodes to return)
            sims = self._row_vectors(passing, vectors.shape[1]) @ vectors.T
            top = min(k, len(passing))
            best = np.argpartition(-sims, top - 1, axis=0)[:top] if top \
                else np.zeros((0, len(vectors)), np.int64)
            return np.unique(passing[best.ravel()])
        queries = self._queries(vectors)
        import faiss

        # the graph's breadth is tuned for a top 10; a candidate search
        # asks each query's top k (100): at least 3 k (docs/scale.md), and
        # a filter widens it by 1 / the fraction of rows passing
        breadth = max(self.index.hnsw.efSearch, 3 * k)
        if keep is None:
            params = faiss.SearchParametersHNSW(efSearch=breadth)
        else:
            # bitmap and selector stay referenced until the search ends
            bitmap = np.packbits(keep, bitorder='little')
            selector = faiss.IDSelectorBitmap(len(keep),
                                              faiss.swig_ptr(bitmap))
            params = faiss.SearchParametersHNSW(
                sel=selector,
                efSearch=int(min(1024,
                                 breadth * len(self) / len(passing))))
        _, ids = self.index.search(queries, k, params=params)
        return np.unique(ids[ids >= 0])

    def fetch(self, ids) -> dict:
        ids = np.asarray(ids, dtype=np.int64)
        return dict(take(self.rows, ids), ids=ids)

    def scan(self, flt=None) -> dict:
        if not flt:
            return dict(self.rows, ids=np.arange(len(self)))
        ids = np.flatnonzero(flt.mask(self.rows['cameras'],
                                      self.rows['scores']))
        return self.fetch(ids)

    def table(self) -> dict:
        return dict(self.rows)


# -- Milvus ------------------------------------------------------------------
def is_lite(uri: str) -> bool:
    return not re.match(r'^[a-z][a-z0-9+.-]*://', uri)


@contextmanager
def quiet_iterator():
    """At every iterator over Milvus Lite, its in-process server logs that
    it has no timestamp service and pymilvus warns that it uses the
    client's clock instead: not worth two log records per search."""
    loggers = [logging.getLogger(name) for name in (
        'pymilvus.client.iterator.query_iterator', 'grpc._server')]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def default_collection(index_dir: str) -> str:
    name = re.sub(r'[^A-Za-z0-9_]', '_', osp.basename(osp.abspath(index_dir)))
    return f'clear_mm_{name}'


class MilvusGallery(Gallery):
    """The gallery in a Milvus collection: one row per image, keyed by a
    digest of its path (so an image is there once, whoever inserts it),
    with its embedding, content sha256, camera, predicted scores (an
    array, so that filters index into it), ``seq`` and the model's
    fingerprint. Every rank of a distributed add upserts its own chunks.

    Milvus Lite (a ``.db`` file) admits one process at a time: under
    torchrun, the ranks take turns on it (each chunk under the index
    folder's lock); a server takes them all at once.

    Args:
        uri (str): What ``pymilvus.MilvusClient`` takes.
        collection (str): The collection's name.
        index_type (str): The vector index Milvus builds: ``FLAT``
            (exact), ``HNSW``, ``IVF_FLAT``, ``IVF_PQ`` or ``AUTOINDEX``.
    """
    kind = 'milvus'
    INDEX_PARAMS = dict(
        HNSW=dict(M=32, efConstruction=80),
        IVF_FLAT=dict(nlist=1024),
        IVF_PQ=dict(nlist=1024, m=32, nbits=8),
        FLAT={}, AUTOINDEX={})

    def __init__(self, index_dir: str, info: dict, shared: bool = False):
        import importlib.util
        if importlib.util.find_spec('pymilvus') is None:
            raise ImportError(
                'The Milvus backend needs pymilvus (and milvus-lite for a '
                'local .db file): pip install -r '
                'requirements/milvus.txt')
        self.index_dir = index_dir
        self.info = info
        milvus = info['milvus']
        self.uri = milvus['uri']
        self.collection = milvus['collection']
        self.index_type = milvus.get('index_type', 'FLAT')
        self.fingerprint = info['model']['checkpoint_sha256']
        self.shared = shared
        self._client = None

    @property
    def exhaustive(self) -> bool:
        return False

    @contextmanager
    def client(self):
        """A connected client; on a Lite file shared by several processes,
        held under the index folder's lock and released afterwards."""
        from pymilvus import MilvusClient
        if self.shared and is_lite(self.uri):
            with index_lock(self.index_dir):
                client = MilvusClient(self.uri)
                try:
                    self._load(client)
                    yield client
                finally:
                    client.close()
                    from milvus_lite.server_manager import \
                        server_manager_instance
                    server_manager_instance.release_server(self.uri)
            return
        if self._client is None:
            self._client = MilvusClient(self.uri)
            self._load(self._client)
        yield self._client

    def _load(self, client) -> None:
        """A collection must be loaded (into the query nodes' memory) to be
        searched; a fresh process finds it released."""
        from pymilvus.client.types import LoadState
        if client.has_collection(self.collection) and client.get_load_state(
                self.collection)['state'] != LoadState.Loaded:
            client.load_collection(self.collection)

    def create(self, dim: int, num_scores: int) -> None:
        """The collection, unless it exists already (made by the same
        model: another model's is refused)."""
        from pymilvus import DataType, MilvusClient
        with self.client() as client:
            if client.has_collection(self.collection):
                self.check(client)
                return
            schema = MilvusClient.create_schema(auto_id=False,
                                                enable_dynamic_field=False)
            schema.add_field('key', DataType.VARCHAR, is_primary=True,
                             max_length=64)
            schema.add_field('seq', DataType.INT64)
            schema.add_field('path', DataType.VARCHAR, max_length=4096)
            schema.add_field('sha', DataType.VARCHAR, max_length=64)
            schema.add_field('camera', DataType.INT64)
            schema.add_field('model', DataType.VARCHAR, max_length=64)
            schema.add_field('embedding', DataType.FLOAT_VECTOR, dim=dim)
            schema.add_field('scores', DataType.ARRAY,
                             element_type=DataType.FLOAT,
                             max_capacity=max(1, num_scores))
            fields = ['embedding']
            if self.info.get('joint') and num_scores:
                schema.add_field('joint', DataType.FLOAT_VECTOR,
                                 dim=dim + 2 * num_scores)
                fields.append('joint')
            params = client.prepare_index_params()
            for field in fields:
                params.add_index(field_name=field,
                                 index_type=self.index_type,
                                 metric_type='IP',
                                 params=self.INDEX_PARAMS.get(
                                     self.index_type, {}))
            try:
                client.create_collection(self.collection, schema=schema,
                                         index_params=params)
            except Exception:
                # another process (another node) created it meanwhile
                if not client.has_collection(self.collection):
                    raise
                self.check(client)
                return
            # what made the rows, for whoever opens the collection
            client.alter_collection_properties(
                self.collection, properties={
                    'clear_mm.model': self.fingerprint,
                    'clear_mm.num_scores': str(num_scores)})

    def _properties(self, client) -> dict:
        return client.describe_collection(self.collection).get(
            'properties') or {}

    def check(self, client) -> None:
        model = self._properties(client).get('clear_mm.model')
        for _ in range(50):  # its creator has yet to record the model
            if model is not None:
                break
            time.sleep(0.1)
            model = self._properties(client).get('clear_mm.model')
        if model != self.fingerprint:
            raise ValueError(
                f'Milvus collection {self.collection!r} at {self.uri} holds '
                f'embeddings of another model (sha256 {str(model)[:12]}, '
                f'this one {self.fingerprint[:12]}); choose another '
                '--collection.')

    def exists(self) -> bool:
        with self.client() as client:
            return client.has_collection(self.collection)

    def __len__(self) -> int:
        with self.client() as client:
            if not client.has_collection(self.collection):
                return 0
            got = client.query(self.collection, filter='',
                               output_fields=['count(*)'])
        return int(got[0]['count(*)'])

    @staticmethod
    def key(path: str) -> str:
        return hashlib.sha256(path.encode('utf-8')).hexdigest()[:40]

    def known(self, paths, session) -> Dict[str, str]:
        paths = list(paths)
        out = {}
        if not paths or not self.exists():
            return out
        with self.client() as client:
            for start in range(0, len(paths), 1000):
                keys = [self.key(p) for p in paths[start:start + 1000]]
                for row in client.get(self.collection, ids=keys,
                                      output_fields=['path', 'sha']):
                    out[row['path']] = row['sha']
        return out

    def write(self, rows, session) -> None:
        if not len(rows['paths']):
            return
        if not self.exists():
            with index_lock(self.index_dir) if not (
                    self.shared and is_lite(self.uri)) else nullcontext():
                self.create(rows['embeddings'].shape[1],
                            rows['scores'].shape[1])
        data = [
            dict(key=self.key(p), seq=int(s), path=p, sha=h, camera=int(c),
                 model=self.fingerprint, embedding=e.tolist(),
                 scores=sc.tolist())
            for p, s, h, c, e, sc in zip(
                rows['paths'].tolist(), rows['seq'], rows['hashes'].tolist(),
                rows['cameras'], rows['embeddings'], rows['scores'])
        ]
        if self.joint:
            for row, v in zip(data, joint_vectors(
                    rows['embeddings'], rows['scores'],
                    self.joint['sigma'])):
                row['joint'] = v.tolist()
        with self.client() as client:
            client.upsert(self.collection, data)
        self._record_cameras(rows['cameras'])

    def _record_cameras(self, cameras) -> None:
        """The cameras seen, in ``index.json``: listing them from the
        engine would read every row."""
        from .store import read_info, write_info
        known = set(self.info.get('cameras', []))
        if set(int(c) for c in cameras) <= known:
            return
        path = osp.join(self.index_dir, 'index.json')
        with index_lock(self.index_dir):
            info = read_info(self.index_dir) if osp.isfile(path) else None
            merged = sorted(known | set(int(c) for c in cameras) | set(
                (info or {}).get('cameras', [])))
            if info is not None:
                write_info(self.index_dir, dict(info, cameras=merged))
        self.info = dict(self.info, cameras=merged)
    def commit(self, session) -> None:
        with self.client() as client:
            if client.has_collection(self.collection):
                client.flush(self.collection)
        if is_lite(self.uri):
            # Milvus Lite finishes its index files when it closes (its
            # own exit hook may not run: a forked or killed process)
            self.close()

    def close(self) -> None:
        """Disconnect; a Milvus Lite file is closed (its background work
        drained), and reopened by the next call."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if is_lite(self.uri):
            from milvus_lite.server_manager import server_manager_instance
            server_manager_instance.release_server(self.uri)

    def _search_params(self, k: int) -> dict:
        if self.index_type == 'HNSW':
            return dict(params=dict(ef=max(k, EF_SEARCH)))
        if self.index_type.startswith('IVF'):
            return dict(params=dict(nprobe=32))
        return {}

    def search(self, vectors, k, flt=None) -> np.ndarray:
        k = min(k, 16384)  # Milvus' largest top-k
        vectors = np.asarray(vectors, np.float32)
        field = 'embedding' if vectors.shape[1] == self.dim else 'joint'
        with self.client() as client:
            hits = client.search(
                self.collection, data=vectors.tolist(),
                limit=k, filter=flt.expression() if flt else '',
                anns_field=field, output_fields=['key'],
                search_params=self._search_params(k))
        ids = sorted({h.get('id') if h.get('id') is not None else
                      h.get('key') for q in hits for h in q})
        return np.array(ids, dtype=object)

    OUTPUT = ['seq', 'path', 'sha', 'camera', 'embedding', 'scores']

    def _rows(self, got: List[dict]) -> dict:
        n = len(got)
        width = self.num_scores
        return dict(
            ids=np.array([r['key'] for r in got], dtype=object),
            seq=np.array([r['seq'] for r in got], np.int64),
            paths=np.array([r['path'] for r in got], dtype=str),
            hashes=np.array([r['sha'] for r in got], dtype=str),
            cameras=np.array([r['camera'] for r in got], np.int64),
            embeddings=np.array([r['embedding'] for r in got],
                                np.float32).reshape(n, -1),
            scores=np.array([list(r['scores'])[:width] for r in got],
                            np.float32).reshape(n, width))

    @property
    def num_scores(self) -> int:
        if not hasattr(self, '_num_scores'):
            if not self.exists():
                return 0
            with self.client() as client:
                self._num_scores = int(self._properties(client).get(
                    'clear_mm.num_scores', 0))
        return self._num_scores

    def _schema(self) -> dict:
        if not hasattr(self, '_fields'):
            with self.client() as client:
                self._fields = {
                    f['name']: f for f in client.describe_collection(
                        self.collection)['fields']}
        return self._fields

    @property
    def dim(self) -> int:
        return int(self._schema()['embedding']['params']['dim'])

    def fetch(self, ids) -> dict:
        ids = [str(i) for i in ids]
        if not ids:
            return self._rows([])
        with self.client() as client:
            got = client.get(self.collection, ids=ids,
                             output_fields=self.OUTPUT)
        by_key = {r['key']: r for r in got}
        return self._rows([by_key[i] for i in ids])

    def scan(self, flt=None) -> dict:
        if not self.exists():
            return dict(empty_rows(), ids=np.zeros(0, dtype=object))
        got = []
        with self.client() as client, (
                quiet_iterator() if is_lite(self.uri) else nullcontext()):
            iterator = client.query_iterator(
                self.collection, batch_size=10_000,
                filter=flt.expression() if flt else '',
                output_fields=['key'] + self.OUTPUT)
            while True:
                batch = iterator.next()
                if not batch:
                    iterator.close()
                    break
                got.extend(batch)
        return self._rows(got)

    def cameras(self) -> List[int]:
        from .store import read_info
        if osp.isfile(osp.join(self.index_dir, 'index.json')):
            self.info = dict(self.info, cameras=read_info(
                self.index_dir).get('cameras', []))
        return list(self.info.get('cameras', []))


def open_gallery(index_dir: str, info: dict, shared: bool = False,
                 approximate_from: int = 200_000) -> Gallery:
    """The gallery an index folder's ``index.json`` names."""
    backend = info.get('backend', 'faiss')
    if backend == 'faiss':
        return FaissGallery(index_dir, info,
                            approximate_from=approximate_from)
    if backend == 'milvus':
        return MilvusGallery(index_dir, info, shared=shared)
    raise ValueError(f'{index_dir}/index.json: backend {backend!r}, '
                     f'expected one of {BACKENDS}.')
