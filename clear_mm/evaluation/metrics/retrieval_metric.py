from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from clear_mm.registry import METRICS
from ..functional import attribute_ids, evaluate_ranking


@METRICS.register_module()
class AttrRetrievalMetric(BaseMetric):
    """Attribute-based person retrieval (ASMR / AIHM protocol).

    Queries are attribute vectors; the gallery is the evaluated images.
    Scores are cosine similarities between query and image embeddings; a
    gallery image is relevant to a query iff its attribute vector equals the
    query's exactly. Reported, in percent, under the prefix ``retrieval``:

    - ``R1``, ``R5``, ``R10`` (CMC): share of queries with a relevant image
      among the first k;
    - ``mAP``: mean over queries of the non-interpolated average precision,
      the mean of the precision at the rank of each relevant image;
    - when the training combinations are known (:class:`PrepareQueriesHook`
      passes those the model keeps), the same for the queries whose combination is among
      them and for the others apart: ``seen/R1`` ... ``seen/mAP``,
      ``unseen/...`` and the number of each, ``seen/queries`` and
      ``unseen/queries`` (CLEAR's Table 1 "unseen categories"; the ranking
      is the same, only the averages are split).

    Counting rules: ranks come from a stable sort by descending score, so
    tied images keep their gallery order; a query with no relevant image in
    the gallery has undefined AP and is left out of all averages (the number
    left out is logged; with the default queries, the gallery's own distinct
    vectors, there is none).

    During evaluation the queries come from :class:`PrepareQueriesHook`, which
    calls :meth:`set_queries` with the dataset's queries (its distinct
    attribute vectors, or the UPAR query file) and their embeddings,
    prepared by the model before the loop: the metric only handles tensors.
    Without explicit query vectors (and when no embeddings are needed), the
    gallery's distinct vectors are used.

    Two rankings share everything else: :class:`FusedRetrievalMetric`
    (paper 004's fused distance, for models that predict embeddings and
    attribute scores) and :class:`ScoreRetrievalMetric` (attribute scores
    alone: a PAR model used for retrieval).

    Args:
        topk (Sequence[int]): CMC ranks. Defaults to (1, 5, 10).
        chunk_size (int): Queries scored at once (memory vs. speed).
            Defaults to 256.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'retrieval'.
    """
    default_prefix = 'retrieval'
    # what the ranking reads from each data sample
    uses_embeddings = True
    uses_scores = False

    def __init__(self,
                 topk: Sequence[int] = (1, 5, 10),
                 chunk_size: int = 256,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)
        self.chunk_size = chunk_size
        self.query_attrs: Optional[np.ndarray] = None
        self.query_embeddings: Optional[torch.Tensor] = None
        self.columns: Optional[List[int]] = None
        self.train_combinations: Optional[np.ndarray] = None

    def set_queries(self,
                    query_attrs,
                    query_embeddings: Optional[torch.Tensor] = None,
                    columns: Optional[Sequence[int]] = None,
                    train_combinations=None) -> None:
        """The queries of the next evaluation.

        Args:
            query_attrs: ``(Q, A)`` 0/1 query vectors (None: the gallery's
                distinct vectors, only when no embeddings are needed).
            query_embeddings: ``(Q, D)`` their embeddings (prepared by the
                model); None when the metric ranks by attribute scores
                only.
            columns: compare only these attributes for relevance (a model
                that cannot see the others, e.g. Cerberus and the view);
                None for all.
            train_combinations: ``(P, A)`` the training split's distinct
                vectors, to report seen and unseen queries apart; None to
                report all queries together only.
        """
        attrs = None if query_attrs is None else np.asarray(
            torch.as_tensor(query_attrs).long().cpu())
        emb = None if query_embeddings is None else torch.as_tensor(
            query_embeddings).float().cpu()
        if attrs is not None and not np.isin(attrs, (0, 1)).all():
            bad = sorted(set(np.unique(attrs).tolist()) - {0, 1})
            raise ValueError('Query attribute vectors must be 0/1, got '
                             f'values {bad}.')
        num_attrs = None if attrs is None else len(attrs)
        if emb is not None and num_attrs != len(emb):
            raise ValueError(
                'query_embeddings need their query_attrs, one row each; got '
                f'{len(emb)} embeddings for {num_attrs} vectors.')
        self.query_attrs, self.query_embeddings = attrs, emb
        self.columns = None if columns is None else list(columns)
        self.train_combinations = None if train_combinations is None else \
            np.asarray(torch.as_tensor(train_combinations).long().cpu())

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            needed = ['gt_score'] + (['pred_embedding']
                                     if self.uses_embeddings else [])
            missing = [k for k in needed if k not in sample]
            if missing:
                raise KeyError(f'{type(self).__name__} needs {needed} in '
                               f'every data sample; {missing} missing.')
            result = dict(
                attrs=torch.as_tensor(sample['gt_score']).long().cpu())
            if self.uses_embeddings:
                result['embedding'] = sample['pred_embedding'].detach(
                ).float().cpu()
            if self.uses_scores:
                if 'pred_score' not in sample:
                    raise KeyError(f'{type(self).__name__} needs '
                                   '`pred_score` (attribute scores) in '
                                   'every data sample.')
                result['scores'] = sample['pred_score'].detach().float().cpu()
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if self.query_embeddings is None and self.uses_embeddings:
            raise RuntimeError(
                'AttrRetrievalMetric has no query embeddings: add '
                "dict(type='PrepareQueriesHook') to custom_hooks (it has "
                'the model prepare them before the loop) or call '
                'set_queries.')
        gallery_attrs = torch.stack([r['attrs'] for r in results]).numpy()
        query_attrs = self.query_attrs
        if query_attrs is None:
            query_attrs = np.unique(gallery_attrs, axis=0)
        if query_attrs.shape[1] != gallery_attrs.shape[1]:
            raise ValueError(
                f'Query vectors have {query_attrs.shape[1]} attributes, the '
                f'gallery {gallery_attrs.shape[1]}.')
        query_emb = gallery_emb = None
        if self.uses_embeddings:
            gallery_emb = torch.stack([r['embedding'] for r in results])
            query_emb = self.query_embeddings
        # relevance: equal vectors (on ``columns`` when set)
        rel_q, rel_g = query_attrs, gallery_attrs
        if self.columns is not None:
            rel_q, rel_g = query_attrs[:, self.columns], \
                gallery_attrs[:, self.columns]
        gallery_scores = None
        if self.uses_scores:
            gallery_scores = torch.stack([r['scores'] for r in results])
        values = self.calculate_scores(
            self.score_fn(query_emb, gallery_emb, query_attrs,
                          gallery_scores),
            rel_q,
            rel_g,
            topk=self.topk,
            chunk_size=self.chunk_size)
        skipped = values.pop('num_skipped')
        values.update(self.part_metrics(query_emb, gallery_emb, query_attrs,
                                        gallery_scores, rel_q, rel_g))
        if self.train_combinations is not None:
            values.update(self.seen_unseen_metrics(
                self.score_fn(query_emb, gallery_emb, query_attrs,
                              gallery_scores), rel_q, rel_g))
        logger = MMLogger.get_current_instance()
        logger.info(f'Attribute retrieval: {len(query_attrs)} queries, '
                    f'{len(gallery_attrs)} gallery images, {skipped} '
                    'queries without a relevant image left out.')
        return values

    def seen_unseen_metrics(self, score_fn: Callable, rel_q: np.ndarray,
                            rel_g: np.ndarray) -> Dict[str, float]:
        """R-k and mAP of the queries whose vector (on ``columns``) is or
        is not a training combination, each ranked as in the full run."""
        train = self.train_combinations
        if self.columns is not None:
            train = train[:, self.columns]
        if train.shape[1] != rel_q.shape[1]:
            raise ValueError(
                f'Training combinations have {train.shape[1]} attributes, '
                f'the queries {rel_q.shape[1]}.')
        known = {row.tobytes() for row in train.astype(np.int64)}
        seen = np.array([row.tobytes() in known
                         for row in rel_q.astype(np.int64)], dtype=bool)
        out = {}
        for name, mask in (('seen', seen), ('unseen', ~seen)):
            index = np.flatnonzero(mask)
            out[f'{name}/queries'] = len(index)
            if not len(index):
                continue

            def subset(start, stop, index=index):
                rows = index[start:stop]
                block = torch.as_tensor(score_fn(int(rows[0]),
                                                 int(rows[-1]) + 1))
                return block[torch.from_numpy(rows - rows[0])]

            values = self.calculate_scores(subset, rel_q[index], rel_g,
                                           topk=self.topk,
                                           chunk_size=self.chunk_size)
            values.pop('num_skipped')
            out.update({f'{name}/{k}': v for k, v in values.items()})
        return out

    def score_fn(self, query_emb, gallery_emb, query_attrs,
                 gallery_scores) -> Callable:
        """The query x gallery scores this metric ranks by (chunk function
        of :meth:`calculate_scores`): cosine similarity of embeddings."""
        return self.cosine_scores(query_emb, gallery_emb)

    def part_metrics(self, query_emb, gallery_emb, query_attrs,
                     gallery_scores, rel_q, rel_g) -> Dict[str, float]:
        """Metrics reported next to the main ones (none here)."""
        return {}

    @staticmethod
    def cosine_scores(query_emb, gallery_emb) -> Callable:
        """Chunk function of the cosine similarities ``(Q, G)`` of
        ``(Q, D)`` query and ``(G, D)`` gallery embeddings."""
        query_emb = F.normalize(torch.as_tensor(query_emb).float(), dim=1)
        gallery_emb = F.normalize(torch.as_tensor(gallery_emb).float(), dim=1)
        return lambda start, stop: query_emb[start:stop] @ gallery_emb.t()

    @staticmethod
    def calculate(query_emb,
                  gallery_emb,
                  query_attrs,
                  gallery_attrs,
                  topk: Sequence[int] = (1, 5, 10),
                  chunk_size: int = 256) -> Dict[str, float]:
        """CMC and mAP of queries against a gallery, ranked by the cosine
        similarity of their embeddings.

        Args:
            query_emb: ``(Q, D)`` query embeddings.
            gallery_emb: ``(G, D)`` image embeddings.
            query_attrs: ``(Q, A)`` query attribute vectors.
            gallery_attrs: ``(G, A)`` image attribute vectors.

        Returns:
            dict: ``R<k>`` for each k and ``mAP`` in percent (0 when no
            query has a relevant image), and ``num_skipped``.
        """
        if len(query_emb) != len(query_attrs) or len(gallery_emb) != len(
                gallery_attrs):
            raise ValueError('Embeddings and attribute vectors must have the '
                             'same number of rows.')
        return AttrRetrievalMetric.calculate_scores(
            AttrRetrievalMetric.cosine_scores(query_emb, gallery_emb),
            query_attrs, gallery_attrs, topk, chunk_size)

    @staticmethod
    def fused_scores(query_emb,
                     gallery_emb,
                     query_attrs,
                     gallery_scores,
                     par_weight: float = 0.2,
                     embedding_weight: float = 1.0,
                     chunk_size: int = 256) -> Callable:
        """Paper 004's retrieval score, as a chunk function for
        :meth:`calculate_scores` (higher = better)::

            D = embedding_weight * d_cos / max(d_cos)
                + par_weight * d_euc / max(d_euc)

        with d_cos the cosine distance between query and image embeddings,
        d_euc the Euclidean distance between the 0/1 query vector and the
        image's attribute scores, each matrix divided by its highest value
        over all queries and images (so both lie in [0, 1] and lambda_Ret
        weighs the same two scales for every query; docs/method_notes.md,
        "Multi-task transformer"); the score is -D. The maxima are found
        in a first pass over ``chunk_size`` queries at a time. With
        ``embedding_weight=0`` the embeddings may be None.
        """
        query_attrs = torch.as_tensor(np.asarray(query_attrs)).float()
        gallery_scores = torch.as_tensor(gallery_scores).float()
        use_emb = embedding_weight > 0
        if use_emb:
            cosine = AttrRetrievalMetric.cosine_scores(query_emb, gallery_emb)
            if len(gallery_emb) != len(gallery_scores):
                raise ValueError(
                    f'{len(gallery_emb)} image embeddings but '
                    f'{len(gallery_scores)} rows of attribute scores.')
        if gallery_scores.dim() != 2 or gallery_scores.shape[1] != \
                query_attrs.shape[1]:
            raise ValueError(
                f'Attribute scores of shape {tuple(gallery_scores.shape)} '
                f'for {query_attrs.shape[1]} attributes.')

        def euclidean(start, stop):
            return torch.cdist(query_attrs[start:stop], gallery_scores)

        def cosine_distance(start, stop):
            return 1 - cosine(start, stop)

        def matrix_max(distance) -> float:
            top = max(
                float(distance(s, min(s + chunk_size, len(query_attrs))).max())
                for s in range(0, len(query_attrs), chunk_size))
            return max(top, 1e-12)

        max_euc = matrix_max(euclidean)
        max_cos = matrix_max(cosine_distance) if use_emb else 1.0

        def score_fn(start, stop):
            d = par_weight * euclidean(start, stop) / max_euc
            if use_emb:
                d = d + embedding_weight * cosine_distance(start,
                                                           stop) / max_cos
            return -d

        return score_fn

    @staticmethod
    def calculate_scores(scores,
                         query_attrs,
                         gallery_attrs,
                         topk: Sequence[int] = (1, 5, 10),
                         chunk_size: int = 256) -> Dict[str, float]:
        """CMC and mAP from any query-gallery scores (higher = better), e.g.
        a fused distance (negated), by the ranking core
        (:func:`clear_mm.evaluation.functional.evaluate_ranking`); a gallery
        image is relevant to a query with the same attribute vector.

        Args:
            scores: a ``(Q, G)`` tensor, or a function ``(start, stop) ->``
                the ``(stop - start, G)`` scores of those queries (computed
                chunk by chunk, so the whole matrix never exists).
            query_attrs, gallery_attrs, topk: as in :meth:`calculate`.
        """
        q_ids, g_ids = attribute_ids(query_attrs, gallery_attrs)
        return evaluate_ranking(scores, q_ids, g_ids, topk, chunk_size)


@METRICS.register_module()
class FusedRetrievalMetric(AttrRetrievalMetric):
    """Attribute retrieval ranked by paper 004's fused distance: cosine
    distance in the joint space plus ``par_weight`` (lambda_Ret) times the
    Euclidean distance between the query vector and the image's predicted
    attribute scores (``pred_score``), each matrix divided by its highest
    value (:meth:`AttrRetrievalMetric.fused_scores`). For models that
    predict both (the multi-task transformer). Reports the fused R-k and
    mAP, and next to them ``mAP_embedding`` and ``mAP_par``, each part
    alone.

    Args:
        par_weight (float): lambda_Ret. Defaults to 0.2 (the paper's).
        **kwargs: See :class:`AttrRetrievalMetric`.
    """
    uses_scores = True

    def __init__(self, par_weight: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        if par_weight < 0:
            raise ValueError(f'par_weight must be >= 0, got {par_weight}.')
        self.par_weight = par_weight

    def score_fn(self, query_emb, gallery_emb, query_attrs,
                 gallery_scores) -> Callable:
        return self.fused_scores(query_emb, gallery_emb, query_attrs,
                                 gallery_scores, self.par_weight,
                                 chunk_size=self.chunk_size)

    def part_metrics(self, query_emb, gallery_emb, query_attrs,
                     gallery_scores, rel_q, rel_g) -> Dict[str, float]:
        """The mAP of each part alone, next to the fused one:
        ``mAP_embedding`` (cosine in the joint space) and ``mAP_par`` (the
        attribute scores, Euclidean)."""
        parts = dict(
            embedding=self.cosine_scores(query_emb, gallery_emb),
            par=self.fused_scores(None, None, query_attrs, gallery_scores,
                                  par_weight=1.0, embedding_weight=0.0,
                                  chunk_size=self.chunk_size))
        return {
            f'mAP_{name}': self.calculate_scores(
                fn, rel_q, rel_g, topk=self.topk,
                chunk_size=self.chunk_size)['mAP']
            for name, fn in parts.items()
        }


@METRICS.register_module()
class ScoreRetrievalMetric(AttrRetrievalMetric):
    """Attribute retrieval ranked by the predicted attribute scores alone:
    the Euclidean distance between the 0/1 query and each image's
    ``pred_score``. Turns any PAR
    model into a retrieval baseline (paper 004's "PAR baseline"); no
    embeddings or query encoder are needed.
    """
    uses_embeddings = False
    uses_scores = True

    def score_fn(self, query_emb, gallery_emb, query_attrs,
                 gallery_scores) -> Callable:
        return self.fused_scores(None, None, query_attrs, gallery_scores,
                                 par_weight=1.0, embedding_weight=0.0,
                                 chunk_size=self.chunk_size)
