"""The person searcher: a gallery (:mod:`clear_mm.search.backends`: faiss
files or a Milvus collection) and the model that made it, answering
attribute, description and image queries."""
import os
import os.path as osp
import re
import sys
from typing import List, Optional, Sequence

import numpy as np
import torch

from clear_mm.models import AttributeModel
from clear_mm.utils.io import atomic_write
from .backends import (BACKENDS, FaissGallery, Filter, Gallery,
                       check_changed, content_hash, default_collection,
                       is_lite, open_gallery)
from .query import ParsedQuery, QueryParser
from .scoring import QueryScorer
from .store import FORMAT, camera_of, read_info, weights_sha256

# images embedded between two writes of an add (a killed add loses at
# most this many images' work per process)
CHUNK = 4096


class PersonSearcher:
    """Search person crops by attributes, descriptions or an image.

    Build it with :meth:`build` (embeds a folder with a model) or open a
    saved index with :meth:`open`; :meth:`add` embeds more images;
    :meth:`search` answers a query.

    Args:
        index_dir (str): The index folder.
        model: The retrieval model (from :func:`clear_mm.apis.init_model`).
        info (dict): The content of ``index.json``.
        gallery (dict | Gallery): Where the images are: a
            :class:`~clear_mm.search.backends.Gallery`, or the arrays
            ``embeddings``, ``scores``, ``paths`` (and optionally
            ``cameras``) of an in-memory faiss gallery.
        approximate_from (int): The faiss backend uses HNSW from this many
            images on. Defaults to 200,000.
        similarity (WordSimilarity | str | None): How free-text words the
            dataset's phrases do not know are matched: 'auto' (the
            all-MiniLM-L6-v2 language model when its package is installed),
            a :class:`WordSimilarity`, or None (only reported as not
            understood). Defaults to 'auto'.
    """

    def __init__(self, index_dir: str, model, info: dict, gallery,
                 approximate_from: int = 200_000, similarity='auto'):
        from clear_mm.apis import AttributeRetrievalInferencer
        self.index_dir = index_dir
        self.model = model
        if not isinstance(gallery, Gallery):
            gallery = FaissGallery(index_dir, info, rows=gallery,
                                   approximate_from=approximate_from)
        self.backend = gallery
        if isinstance(gallery, FaissGallery):
            gallery.tuning_queries = self.tuning_queries
        self.approximate_from = approximate_from
        self.inferencer = AttributeRetrievalInferencer(model)
        if similarity == 'auto':
            from .similarity import default_similarity
            similarity = default_similarity()
        self.parser = QueryParser(model.dataset_meta, similarity)
        self.scorer = QueryScorer(model)
        self.last_added = 0  # images the last add embedded

    @property
    def info(self) -> dict:
        """The content of ``index.json``, as the backend keeps it."""
        return self.backend.info

    @property
    def gallery(self) -> dict:
        """Every image's row (``embeddings``, ``scores``, ``paths``,
        ``cameras``, ``hashes``, ``seq``), in the order they were added."""
        return self.backend.table()

    @property
    def faiss_index(self):
        return getattr(self.backend, 'index', None)

    @faiss_index.setter
    def faiss_index(self, index) -> None:
        self.backend.index = index

    # -- building ------------------------------------------------------------
    @classmethod
    def build(cls, config, checkpoint: Optional[str], images, index_dir: str,
              batch_size: int = 32, device: Optional[str] = None,
              metainfo: Optional[dict] = None,
              backend: Optional[str] = None,
              milvus_uri: Optional[str] = None,
              collection: Optional[str] = None,
              milvus_index: str = 'FLAT', chunk_size: int = CHUNK,
              onnx: Optional[str] = None,
              **kwargs) -> 'PersonSearcher':
        """Embed ``images`` (a folder, searched recursively, a list, ...)
        with the model of ``config`` and ``checkpoint`` into a new index,
        or add them to the index already in ``index_dir`` if it was made
        by the same model (another model is refused). CLIP zero-shot needs
        no checkpoint (None): its weights are the config's CLIP folder,
        and a query is its text. ``metainfo`` gives the schema of a model
        whose checkpoint carries none (CLIP; default: the config's test
        dataset).

        ``backend`` is 'faiss' (files in ``index_dir``, the default) or
        'milvus' (the
        collection ``collection`` at ``milvus_uri``: a ``.db`` file for
        Milvus Lite, ``http://HOST:19530`` for a server; its vector index
        ``milvus_index``). The index folder records the choice, so opening
        and adding need not repeat it. An interrupted build resumes when
        run again: the images already written are not embedded again.
        ``onnx``: embed with this exported image graph of the model (see
        :meth:`add`)."""
        from mmengine.dist import barrier, get_rank

        from clear_mm.apis import init_model
        from clear_mm.apis.model_index import config_of
        cfg = config_of(config)
        if osp.isfile(osp.join(index_dir, 'index.json')):
            searcher = cls.open(index_dir, device=device, **kwargs)
            searcher.check_same_model(
                checkpoint or cfg.model.get('clip') or '')
            if backend not in (None, searcher.info.get('backend', 'faiss')):
                raise ValueError(
                    f'{index_dir} is a {searcher.info.get("backend")} index; '
                    f'it cannot take --backend {backend}.')
            searcher.add(images, batch_size, chunk_size=chunk_size,
                         onnx=onnx)
            return searcher
        backend = backend or 'faiss'
        if backend not in BACKENDS:
            raise ValueError(f'backend {backend!r}: expected one of '
                             f'{BACKENDS}.')
        model = init_model(cfg, checkpoint, device, metainfo=metainfo)
        if not isinstance(model, AttributeModel):
            raise ValueError(
                f'{type(model).__name__} does not embed attribute queries: '
                'index with a retrieval model (CLEAR retriever, ASMR, the '
                'multi-task model, Cerberus) or CLIP.')
        weights = checkpoint or model.weights_folder
        if not weights:
            raise ValueError('Give the checkpoint that made the model.')
        info = dict(
            format=FORMAT,
            backend=backend,
            generation=0,
            model=dict(
                type=type(model).__name__,
                config_name=getattr(cfg, 'filename', None),
                checkpoint=osp.abspath(weights),
                checkpoint_sha256=weights_sha256(weights),
                # CLIP: no checkpoint, the weights are a folder
                has_checkpoint=bool(checkpoint)),
            attributes=list(model.dataset_meta['attributes']),
            schema=model.dataset_meta,
            count=0,
            approximate=False)
        if model.scores_are_probabilities and not model.embeds_text:
            # attribute queries search embedding and scores together
            info['joint'] = dict(sigma=float(model.score_scale))
        if backend == 'milvus':
            if not milvus_uri:
                raise ValueError('The milvus backend needs a URI (a .db '
                                 'file for Milvus Lite, http://HOST:19530 '
                                 'for a server).')
            info['milvus'] = dict(
                uri=osp.abspath(milvus_uri) if is_lite(milvus_uri) else
                milvus_uri,
                collection=collection or default_collection(index_dir),
                index_type=milvus_index)
            info['approximate'] = milvus_index != 'FLAT'
        if get_rank() == 0:  # under torchrun, rank 0 writes
            os.makedirs(index_dir, exist_ok=True)
            atomic_write(cfg.pretty_text.encode('utf-8'),
                         osp.join(index_dir, 'model_config.py'))
            # an empty generation 0: a build killed now resumes as an add
            from .store import write_info
            write_info(index_dir, info)
        barrier()
        searcher = cls(index_dir, model, info,
                       cls._gallery(index_dir, info, kwargs), **kwargs)
        searcher.add(images, batch_size, chunk_size=chunk_size, onnx=onnx)
        return searcher

    @staticmethod
    def _gallery(index_dir: str, info: dict, kwargs: dict) -> Gallery:
        from mmengine.dist import get_world_size
        return open_gallery(
            index_dir, info, shared=get_world_size() > 1,
            approximate_from=kwargs.get('approximate_from', 200_000))

    def check_same_model(self, checkpoint: str) -> None:
        """Refuse to mix embeddings of another checkpoint (by content)."""
        if not osp.exists(checkpoint):
            raise FileNotFoundError(f'{checkpoint} does not exist.')
        sha = weights_sha256(checkpoint)
        if sha != self.info['model']['checkpoint_sha256']:
            raise ValueError(
                f'{self.index_dir} was made with '
                f'{self.info["model"]["checkpoint"]} (sha256 '
                f'{self.info["model"]["checkpoint_sha256"][:12]}); '
                f'{checkpoint} (sha256 {sha[:12]}) is another model. '
                'Embeddings of two models cannot be searched together: '
                'use another index folder.')

    def tuning_queries(self, count: int = 256) -> Optional[np.ndarray]:
        """Queries an approximate index is tuned on: the query embeddings
        of the ``count`` most frequent training combinations (CLIP: its
        embeddings of the attribute names); None for a model that keeps
        no training combinations."""
        with torch.no_grad():
            if self.text_search:
                return self.model.encode_text(
                    self.parser.attributes).float().cpu().numpy()
            try:
                combinations, counts = self.scorer.proxies()
            except ValueError:
                return None
            top = np.argsort(-counts, kind='stable')[:count]
            emb = self.scorer._proxy_embeddings()[top].numpy()
            if not self.backend.joint:
                return emb
            return np.vstack([
                self._joint(emb[i:i + 1], combinations[j])
                for i, j in enumerate(top)])

    def _joint(self, embeddings: Optional[np.ndarray],
               vector: np.ndarray) -> np.ndarray:
        """Joint queries (:func:`~clear_mm.search.store.joint_queries`) of
        query embeddings and the attribute vector they are for."""
        from .store import joint_queries
        return joint_queries(embeddings, vector, self.backend.dim)

    @classmethod
    def open(cls, index_dir: str, device: Optional[str] = None,
             **kwargs) -> 'PersonSearcher':
        """Reopen a saved index (no image is embedded again). The model
        is rebuilt from the stored config and the checkpoint, which must
        be the one that made the index."""
        from mmengine.config import Config

        from clear_mm.apis import init_model
        info = read_info(index_dir)
        checkpoint = info['model']['checkpoint']
        if not osp.exists(checkpoint):
            raise FileNotFoundError(
                f'{index_dir} was made with {checkpoint}, which is gone; '
                'the index needs it to encode queries.')
        if weights_sha256(checkpoint) != info['model']['checkpoint_sha256']:
            raise ValueError(
                f'{checkpoint} changed since {index_dir} was built (its '
                'sha256 differs): the stored embeddings are another '
                "model's. Rebuild the index.")
        cfg = Config.fromfile(osp.join(index_dir, 'model_config.py'))
        if not info['model'].get('has_checkpoint', True):  # CLIP's folder
            cfg.model.clip = checkpoint
            checkpoint = None
        model = init_model(cfg, checkpoint, device,
                           metainfo=info.get('schema'))
        gallery = cls._gallery(index_dir, info, kwargs)
        return cls(index_dir, model, info, gallery, **kwargs)

    def add(self, images, batch_size: int = 32,
            chunk_size: int = CHUNK, onnx: Optional[str] = None) -> int:
        """Embed ``images`` and add them; returns how many were embedded.
        An image already in the index (same path, same content) is
        skipped, so an add that was interrupted resumes when run again; an
        indexed path whose content changed is an error. Under torchrun
        every rank embeds and writes its own share (every world-size-th
        image) in chunks of ``chunk_size``: nothing is gathered.

        ``onnx``: an image graph exported from the index's model
        (``export_onnx.py --kind image``, any precision) that ONNX Runtime
        embeds with, in batches of ``batch_size``, instead of PyTorch; the
        model still encodes the queries. A graph of another model is
        refused. Without ``onnx`` the add embeds with the model."""
        from mmengine.dist import (all_reduce, barrier, broadcast_object_list,
                                   get_dist_info)
        from mmengine.utils import ProgressBar

        from clear_mm.apis.base import list_images
        if chunk_size < 1:
            raise ValueError(f'chunk_size must be at least 1, got '
                             f'{chunk_size}.')
        # each add says how it embeds: a graph, or (None) the model
        self.inferencer.use_graph(onnx, batch_size)
        rank, world = get_dist_info()
        items = list_images(images)
        if world > 1 and any(not isinstance(i, str) for i in items):
            raise ValueError('A distributed index build takes image files '
                             '(a folder or a list), not arrays.')
        session = [self.backend.start_add() if rank == 0 else None]
        if world > 1:
            broadcast_object_list(session)
        session = session[0]
        mine = list(range(rank, len(items), world))
        paths = [str(items[i]) if isinstance(items[i], str) else
                 f'<array {session["offset"] + i}>' for i in mine]
        hashes = [content_hash(items[i]) for i in mine]
        known = self.backend.known(paths, session)
        check_changed(self.index_dir, known, paths, hashes)
        todo = [j for j, p in enumerate(paths) if p not in known]
        # one bar (with its ETA) for a long add, else each chunk's own
        progress = ProgressBar(len(todo) * world, file=sys.stderr) \
            if rank == 0 and len(todo) > chunk_size else None
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start:start + chunk_size]
            result = self.inferencer.embed_images(
                [items[mine[j]] for j in chunk], batch_size,
                progress=progress is None)
            embeddings = result['embeddings'].numpy().astype(np.float32)
            bad = ~np.isfinite(embeddings).all(axis=1)
            if bad.any():
                raise ValueError(
                    'The model gave non-finite embeddings for '
                    f'{int(bad.sum())} images (first: '
                    f'{[paths[chunk[i]] for i in np.flatnonzero(bad)[:3]]});'
                    ' they were not added. Check the checkpoint.')
            scores = np.zeros((len(chunk), 0), np.float32) if \
                result['scores'] is None else result['scores'].numpy()
            self.backend.write(dict(
                embeddings=embeddings, scores=scores.astype(np.float32),
                paths=np.array([paths[j] for j in chunk]),
                cameras=np.array([camera_of(paths[j]) for j in chunk],
                                 dtype=np.int64),
                hashes=np.array([hashes[j] for j in chunk]),
                seq=np.array([session['offset'] + mine[j] for j in chunk],
                             dtype=np.int64)), session)
            if progress is not None:
                progress.update(len(chunk) * world)
        added = torch.tensor(len(todo))
        if world > 1:
            all_reduce(added)
            barrier()
        if rank == 0:
            self.backend.commit(session)
        if world > 1:
            barrier()
            if rank != 0:
                self.backend.reload()
        self.last_added = int(added)
        return self.last_added

    # -- searching -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.backend)

    def parse(self, text: str) -> ParsedQuery:
        return self.parser.parse(text)

    def search(self, query, topk: int = 10,
               cameras: Optional[Sequence[int]] = None,
               where: Optional[str] = None, thr: float = 0.5) -> dict:
        """Answer ``query`` (text, or a :class:`ParsedQuery`): ``understood``
        (attributes taken as present / absent), ``ignored`` (words not
        understood), ``guessed`` (words matched by the language model's
        similarity only, with the phrase and cosine), ``mode`` (how it was
        scored, see :class:`QueryScorer`) and ``results``:
        ``[{path, score, camera, attributes}]``, best first. Filters,
        pushed down into the backend's search (so a selective filter still
        returns ``topk`` images when that many pass): ``cameras`` keeps
        images of those cameras; ``where`` (a query, e.g.
        ``"Backpack, -Hat"``) keeps images whose predicted scores pass
        ``thr`` for its present attributes and not for its absent ones."""
        if isinstance(query, ParsedQuery):
            parsed = query
        elif self.text_search:
            parsed = self._parse_for_text(query)
        else:
            parsed = self.parse(query)
        flt = self.filter(cameras, where, thr)
        rows, scores, plan = self._score(parsed, topk, flt)
        order = np.argsort(-scores, kind='stable')[:topk]
        order = order[np.isfinite(scores[order])]
        return dict(
            understood=parsed.understood(),
            ignored=list(parsed.ignored),
            guessed=dict(parsed.guessed),
            mode=plan['mode'],
            results=[self._result(rows, i, scores[i]) for i in order])

    def filter(self, cameras: Optional[Sequence[int]] = None,
               where: Optional[str] = None,
               thr: float = 0.5) -> Optional[Filter]:
        """The :class:`Filter` of ``cameras`` and ``where``, or None."""
        if cameras is None and not where:
            return None
        present, absent = [], []
        if where:
            if self.backend.num_scores == 0:
                raise ValueError(
                    'This index has no predicted attribute scores to filter '
                    f'on ({self.info["model"]["type"]} predicts none).')
            vector = self.parse(where).vector
            present = np.flatnonzero(vector == 1).tolist()
            absent = np.flatnonzero(vector == 0).tolist()
        return Filter(cameras=None if cameras is None else
                      [int(c) for c in cameras],
                      present=present, absent=absent, thr=float(thr))

    def _result(self, rows: dict, i: int, score: float,
                thr: float = 0.5) -> dict:
        """One ranked image: its path, its score and the attributes the
        model predicts for it (score above ``thr``), highest first."""
        probs = rows['scores']
        names = self.parser.attributes
        present = [] if probs.shape[1] == 0 else sorted(
            (j for j in range(probs.shape[1]) if probs[i, j] > thr),
            key=lambda j: -probs[i, j])
        return dict(
            path=str(rows['paths'][i]),
            score=float(score),
            camera=int(rows['cameras'][i]),
            attributes=[names[j] for j in present])

    @property
    def text_search(self) -> bool:
        """Whether queries are embedded as text (CLIP)."""
        return self.model.embeds_text

    def _parse_for_text(self, text: str) -> ParsedQuery:
        """CLIP searches with the text itself; what the parser
        understands of it is only echoed (and may be nothing)."""
        if not isinstance(text, str) or not text.strip():
            return self.parse(text)  # the empty-query error
        try:
            return self.parse(text)
        except (KeyError, ValueError):
            return ParsedQuery(
                vector=np.full(len(self.parser.attributes), -1),
                present=[], absent=[],
                ignored=re.findall(r'[A-Za-z0-9]+', text), text=text)

    def _candidates(self, vectors: Optional[np.ndarray], topk: int,
                    flt: Optional[Filter],
                    vector: Optional[np.ndarray] = None) -> dict:
        """The rows to score exactly: every row (that passes ``flt``) of
        an exhaustive gallery, else the union of each query embedding's
        best rows in the backend's index; for an attribute ``vector``
        with a joint index, best by the combined score (embedding and
        the specified attributes' likelihood, :func:`joint_queries`)."""
        if self.backend.exhaustive:
            return self.backend.scan(flt)
        if vector is not None and self.backend.joint:
            vectors = self._joint(vectors, vector)
        elif vectors is None:  # the attribute scores alone, no joint index
            return self.backend.scan(flt)
        ids = self.backend.search(vectors, max(4 * topk, 100), flt)
        return self.backend.fetch(ids)

    def _score(self, parsed: ParsedQuery, topk: int,
               flt: Optional[Filter] = None):
        """The rows scored and their scores, with the scorer's plan."""
        if self.text_search:
            query = self.model.encode_text([parsed.text]).float().cpu()
            rows = self._candidates(query.numpy(), topk, flt)
            return rows, rows['embeddings'] @ query[0].numpy(), dict(
                mode='clip-text')
        plan = self.scorer.plan(parsed.vector)
        if self.backend.exhaustive or plan['mode'] == 'attribute-scores':
            # every row of a small exact gallery; for a ranking by the
            # predicted attribute scores alone, the best of a joint index
            rows = self._candidates(None, topk, flt, parsed.vector)
            scores, plan = self.scorer.score(
                parsed.vector, torch.from_numpy(rows['embeddings']),
                torch.from_numpy(rows['scores']))
            return rows, scores.numpy(), plan
        # candidates from the most probable combinations' best images,
        # then exact scores on them
        embeddings, log_w = plan['embeddings'], plan['log_weights']
        best = torch.argsort(log_w, descending=True)[:64]
        rows = self._candidates(embeddings[best].numpy(), topk, flt,
                                parsed.vector
                                if self.model.scores_are_probabilities
                                else None)
        sims = torch.from_numpy(rows['embeddings']) @ embeddings.t()
        probs = torch.from_numpy(rows['scores'])
        scores = self.scorer.combine(plan, parsed.vector, sims,
                                     probs if probs.numel() else None)
        return rows, scores.numpy(), plan

    def search_image(self, image, topk: int = 10,
                     cameras: Optional[Sequence[int]] = None) -> dict:
        """The gallery images nearest to ``image`` (re-identification with
        Cerberus; image-to-image for the others), optionally of
        ``cameras`` only."""
        emb = self.inferencer.embed_images(
            [image], progress=False)['embeddings'].numpy()
        emb = emb.astype(np.float32)
        flt = self.filter(cameras)
        ids = self.backend.search(emb, topk, flt)
        rows = self.backend.fetch(ids)
        sims = rows['embeddings'] @ emb[0]
        order = np.argsort(-sims, kind='stable')[:topk]
        return dict(results=[self._result(rows, i, sims[i]) for i in order])

    def cameras(self) -> List[int]:
        """The cameras of the gallery's images (-1: unknown)."""
        return self.backend.cameras()

    def paths(self) -> List[str]:
        return self.gallery['paths'].tolist()
