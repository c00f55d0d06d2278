"""The person searcher: a gallery index (:mod:`clear_mm.search.store`)
and the model that made it, answering attribute, description and image
queries."""
import os
import os.path as osp
import re
from contextlib import nullcontext
from typing import List, Optional, Sequence

import numpy as np
import torch

from clear_mm.models import AttributeModel
from clear_mm.utils.io import atomic_write
from .query import ParsedQuery, QueryParser
from .scoring import QueryScorer
from .store import (FORMAT, build_faiss, camera_of, index_lock,
                    next_generation, read_gallery, read_info, weights_sha256,
                    write_generation)


class PersonSearcher:
    """Search person crops by attributes, descriptions or an image.

    Build it with :meth:`build` (embeds a folder with a model) or open a
    saved index with :meth:`open`; :meth:`add` embeds more images;
    :meth:`search` answers a query.

    Args:
        index_dir (str): The index folder.
        model: The retrieval model (from :func:`clear_mm.apis.init_model`).
        info (dict): The content of ``index.json``.
        gallery (dict): ``embeddings``, ``scores``, ``paths``, ``cameras``.
        approximate_from (int): Use HNSW from this many images on.
            Defaults to 200,000.
        similarity (WordSimilarity | str | None): How free-text words the
            dataset's phrases do not know are matched: 'auto' (the
            all-MiniLM-L6-v2 language model when its package is installed),
            a :class:`WordSimilarity`, or None (only reported as not
            understood). Defaults to 'auto'.
    """

    def __init__(self, index_dir: str, model, info: dict, gallery: dict,
                 approximate_from: int = 200_000, similarity='auto'):
        from clear_mm.apis import AttributeRetrievalInferencer
        self.index_dir = index_dir
        self.model = model
        self.info = info
        self.gallery = gallery
        self.approximate_from = approximate_from
        self.inferencer = AttributeRetrievalInferencer(model)
        if similarity == 'auto':
            from .similarity import default_similarity
            similarity = default_similarity()
        self.parser = QueryParser(model.dataset_meta, similarity)
        self.scorer = QueryScorer(model)
        self.faiss_index = None

    # -- building ------------------------------------------------------------
    @classmethod
    def build(cls, config, checkpoint: Optional[str], images, index_dir: str,
              batch_size: int = 32, device: Optional[str] = None,
              metainfo: Optional[dict] = None,
              **kwargs) -> 'PersonSearcher':
        """Embed ``images`` (a folder, searched recursively, a list, ...)
        with the model of ``config`` and ``checkpoint`` into a new index,
        or add them to the index already in ``index_dir`` if it was made
        by the same model (another model is refused). CLIP zero-shot needs
        no checkpoint (None): its weights are the config's CLIP folder,
        and a query is its text. ``metainfo`` gives the schema of a model
        whose checkpoint carries none (CLIP; default: the config's test
        dataset)."""
        from clear_mm.apis import init_model
        from clear_mm.apis.model_index import config_of
        cfg = config_of(config)
        if osp.isfile(osp.join(index_dir, 'index.json')):
            searcher = cls.open(index_dir, device=device, **kwargs)
            searcher.check_same_model(
                checkpoint or cfg.model.get('clip') or '')
            searcher.add(images, batch_size)
            return searcher
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
            count=0)
        from mmengine.dist import get_rank
        if get_rank() == 0:  # under torchrun, rank 0 writes
            os.makedirs(index_dir, exist_ok=True)
            atomic_write(cfg.pretty_text.encode('utf-8'),
                         osp.join(index_dir, 'model_config.py'))
        empty = dict(
            embeddings=np.zeros((0, 0), np.float32),
            scores=np.zeros((0, 0), np.float32),
            paths=np.zeros(0, dtype=str),
            cameras=np.zeros(0, np.int64))
        searcher = cls(index_dir, model, info, empty, **kwargs)
        searcher.add(images, batch_size)
        return searcher

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
        gallery, faiss_index = read_gallery(index_dir, info)
        searcher = cls(index_dir, model, info, gallery, **kwargs)
        searcher.faiss_index = faiss_index
        return searcher

    def _embed(self, images, batch_size: int) -> dict:
        """:meth:`AttributeRetrievalInferencer.embed_images` of
        ``images``; in a distributed run (torchrun) each rank embeds every
        world-size-th image and every rank gets the merged result, in the
        order of the image list."""
        from mmengine.dist import all_gather_object, get_dist_info

        from clear_mm.apis.base import list_images
        rank, world = get_dist_info()
        if world == 1:
            return self.inferencer.embed_images(images, batch_size)
        items = list_images(images)
        if any(not isinstance(i, str) for i in items):
            raise ValueError('A distributed index build takes image files '
                             '(a folder or a list), not arrays.')
        shard = items[rank::world]
        part = dict(embeddings=None, scores=None, img_paths=[])
        if shard:
            part = self.inferencer.embed_images(shard, batch_size)
        parts = all_gather_object(part)
        merged = {key: [None] * len(items)
                  for key in ('embeddings', 'scores', 'img_paths')}
        for r, got in enumerate(parts):
            for j, path in enumerate(got['img_paths']):
                i = r + j * world  # its place in the image list
                merged['img_paths'][i] = path
                merged['embeddings'][i] = got['embeddings'][j]
                if got['scores'] is not None:
                    merged['scores'][i] = got['scores'][j]
        has_scores = all(s is not None for s in merged['scores'])
        return dict(
            embeddings=torch.stack(merged['embeddings']),
            scores=torch.stack(merged['scores']) if has_scores else None,
            img_paths=merged['img_paths'])

    def add(self, images, batch_size: int = 32) -> int:
        """Embed ``images`` and add them; returns how many were added.
        Images already in the index (same path) are an error. Under
        torchrun the ranks share the embedding and rank 0 writes."""
        from mmengine.dist import barrier, get_rank
        result = self._embed(images, batch_size)
        paths = np.array([str(p) for p in result['img_paths']])
        embeddings = result['embeddings'].numpy().astype(np.float32)
        bad = ~np.isfinite(embeddings).all(axis=1)
        if bad.any():
            raise ValueError(
                f'The model gave non-finite embeddings for {int(bad.sum())} '
                f'images (first: {paths[bad][:3].tolist()}); nothing was '
                'added. Check the checkpoint.')
        scores = np.zeros((len(paths), 0), np.float32) if \
            result['scores'] is None else result['scores'].numpy()
        writer = get_rank() == 0
        with index_lock(self.index_dir) if writer else nullcontext():
            if writer:  # another process may have added since we opened
                self._reload_if_changed()
            self._merge(paths, embeddings, scores)
            if writer:
                self._save()
            else:  # the files rank 0 writes
                self.info = next_generation(
                    self.info, len(self.gallery['paths']),
                    len(self.gallery['paths']) >= self.approximate_from)
        barrier()
        return len(result['img_paths'])

    def _reload_if_changed(self) -> None:
        if not osp.isfile(osp.join(self.index_dir, 'index.json')):
            return  # being built: nothing written yet
        info = read_info(self.index_dir)
        if info['generation'] != self.info['generation']:
            self.gallery, self.faiss_index = read_gallery(
                self.index_dir, info)
            self.info = info

    def _merge(self, paths: np.ndarray, new_embeddings: np.ndarray,
               scores: np.ndarray) -> None:
        old = self.gallery
        twice = sorted(set(paths) & set(old['paths'].tolist()))
        if twice:
            raise ValueError(f'{len(twice)} images are in the index already '
                             f'(first: {twice[:3]}).')
        embeddings = new_embeddings
        if len(old['paths']):
            embeddings = np.concatenate([old['embeddings'], embeddings])
            scores = np.concatenate([old['scores'], scores]) if \
                old['scores'].shape[1] == scores.shape[1] else \
                np.zeros((len(embeddings), 0), np.float32)
            paths = np.concatenate([old['paths'], paths])
        cameras = np.array([camera_of(p) for p in paths], dtype=np.int64)
        self.gallery = dict(embeddings=embeddings, scores=scores,
                            paths=paths, cameras=cameras)
        current = self.faiss_index
        if current is not None and current.ntotal == len(old['paths']) and \
                hasattr(current, 'hnsw') == (
                    len(embeddings) >= self.approximate_from):
            # incremental: HNSW links the new nodes into its graph, a flat
            # index appends them; rebuilt only when crossing the threshold
            current.add(np.ascontiguousarray(new_embeddings))
        else:
            self.faiss_index = self._build_faiss(embeddings)

    def _build_faiss(self, embeddings: np.ndarray):
        return build_faiss(embeddings,
                           len(embeddings) >= self.approximate_from)

    def _save(self) -> None:
        self.info = write_generation(
            self.index_dir, self.info, self.gallery, self.faiss_index,
            len(self.gallery['paths']) >= self.approximate_from)

    # -- searching -----------------------------------------------------------
    def __len__(self) -> int:
        return int(len(self.gallery['paths']))

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
        ``[{path, score}]``, best first. Filters: ``cameras`` keeps images
        of those cameras;
        ``where`` (a query, e.g. ``"Backpack, -Hat"``) keeps images whose
        predicted scores pass ``thr`` for its present attributes and not
        for its absent ones."""
        if isinstance(query, ParsedQuery):
            parsed = query
        elif self.text_search:
            parsed = self._parse_for_text(query)
        else:
            parsed = self.parse(query)
        scores, plan = self._score(parsed, topk)
        keep = np.ones(len(self), dtype=bool)
        if cameras is not None:
            keep &= np.isin(self.gallery['cameras'], list(cameras))
        if where:
            keep &= self.predicted(self.parse(where), thr)
        scores = np.where(keep, scores, -np.inf)
        order = np.argsort(-scores, kind='stable')[:topk]
        order = order[np.isfinite(scores[order])]
        return dict(
            understood=parsed.understood(),
            ignored=list(parsed.ignored),
            guessed=dict(parsed.guessed),
            mode=plan['mode'],
            results=[self._result(i, scores[i]) for i in order])

    def _result(self, i: int, score: float, thr: float = 0.5) -> dict:
        """One ranked image: its path, its score and the attributes the
        model predicts for it (score above ``thr``), highest first."""
        probs = self.gallery['scores']
        names = self.parser.attributes
        present = [] if probs.shape[1] == 0 else sorted(
            (j for j in range(probs.shape[1]) if probs[i, j] > thr),
            key=lambda j: -probs[i, j])
        return dict(
            path=str(self.gallery['paths'][i]),
            score=float(score),
            camera=int(self.gallery['cameras'][i]),
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

    def _text_scores(self, text: str, topk: int) -> np.ndarray:
        """Cosine of every image with the CLIP embedding of ``text``
        (``-inf`` for those an approximate search did not reach)."""
        query = self.model.encode_text([text]).float().cpu().numpy()
        gallery = self.gallery['embeddings']
        if not self.info.get('approximate'):
            return gallery @ query[0]
        _, ids = self.faiss_index.search(
            np.ascontiguousarray(query, dtype=np.float32),
            max(4 * topk, 100))
        ids = np.unique(ids[ids >= 0])
        scores = np.full(len(self), -np.inf, dtype=np.float32)
        scores[ids] = gallery[ids] @ query[0]
        return scores

    def _score(self, parsed: ParsedQuery, topk: int):
        """Scores of every image (``-inf`` for those an approximate search
        did not reach)."""
        if self.text_search:
            return self._text_scores(parsed.text, topk), dict(
                mode='clip-text')
        gallery = torch.from_numpy(self.gallery['embeddings'])
        probs = torch.from_numpy(self.gallery['scores'])
        if not self.info.get('approximate'):
            scores, plan = self.scorer.score(parsed.vector, gallery, probs)
            return scores.numpy(), plan
        plan = self.scorer.plan(parsed.vector)
        if plan['mode'] == 'attribute-scores':
            scores, plan = self.scorer.score(parsed.vector, gallery, probs)
            return scores.numpy(), plan
        # approximate: candidates from the most probable combinations'
        # nearest images, then exact scores on them
        embeddings, log_w = plan['embeddings'], plan['log_weights']
        best = torch.argsort(log_w, descending=True)[:64]
        k = max(4 * topk, 100)
        _, ids = self.faiss_index.search(
            np.ascontiguousarray(embeddings[best].numpy()), k)
        candidates = torch.from_numpy(np.unique(ids[ids >= 0]))
        scores = np.full(len(self), -np.inf, dtype=np.float32)
        sims = gallery[candidates] @ embeddings.t()
        scores[candidates.numpy()] = self.scorer.combine(
            plan, parsed.vector, sims,
            probs[candidates] if probs.numel() else None).numpy()
        return scores, plan

    def predicted(self, parsed: ParsedQuery, thr: float = 0.5) -> np.ndarray:
        """``(N, )`` whether each image's predicted attribute scores agree
        with ``parsed`` (present: score > ``thr``; absent: not)."""
        probs = self.gallery['scores']
        if probs.shape[1] == 0:
            raise ValueError(
                'This index has no predicted attribute scores to filter on '
                f'({self.info["model"]["type"]} predicts none).')
        known = parsed.vector >= 0
        return ((probs[:, known] > thr) == (parsed.vector[known] == 1)).all(
            axis=1)

    def search_image(self, image, topk: int = 10,
                     cameras: Optional[Sequence[int]] = None) -> dict:
        """The gallery images nearest to ``image`` (re-identification with
        Cerberus; image-to-image for the others), optionally of
        ``cameras`` only (then ranked exactly)."""
        emb = self.inferencer.embed_images([image])['embeddings'].numpy()
        emb = emb.astype(np.float32)
        if cameras is not None:
            sims = self.gallery['embeddings'] @ emb[0]
            sims[~np.isin(self.gallery['cameras'], list(cameras))] = -np.inf
            ids = np.argsort(-sims, kind='stable')[:topk]
            pairs = [(sims[i], i) for i in ids if np.isfinite(sims[i])]
        else:
            k = min(topk, len(self))
            sims, ids = self.faiss_index.search(emb, k)
            pairs = [(s, i) for s, i in zip(sims[0], ids[0]) if i >= 0]
        return dict(results=[self._result(i, s) for s, i in pairs])

    def paths(self) -> List[str]:
        return self.gallery['paths'].tolist()
