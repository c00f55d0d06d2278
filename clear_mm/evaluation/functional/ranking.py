"""The one ranking core of attribute retrieval, re-identification, partial
queries and the search tool: CMC and mAP of queries against a gallery,
from any scores. Every AP and CMC of the package is computed here; the
per-query reference it is checked against lives in the tests.

Counting rules (the stable-sort convention): gallery items are ranked by
descending score, tied items keep their gallery order; a query's relevant
items are the gallery items with its id (or, for partial queries, those a
relevance mask marks); a query without any has no AP and
is left out of every average (``num_skipped`` counts them). Items a query
must not see (re-identification: the same person seen by the same camera)
are removed from its ranking with ``ignore``.

Only the relevant (query, item) pairs need a rank: the rank of relevant
item g is one plus the items before g scoring at least as high plus the
items after g scoring higher, counted with vectorised comparisons; no row
is sorted. With k relevant items per query the cost is k comparisons per
score, against a sort (log G) per query for the per-query loop.
"""
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch

ScoreFn = Callable[[int, int], torch.Tensor]


def attribute_ids(*matrices) -> List[np.ndarray]:
    """One integer id per distinct attribute vector, shared by all
    matrices (rows equal iff ids equal)."""
    rows = np.concatenate([np.asarray(m, dtype=np.int64) for m in matrices])
    _, inverse = np.unique(rows, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    out, start = [], 0
    for m in matrices:
        out.append(inverse[start:start + len(m)])
        start += len(m)
    return out


def _floating(scores: torch.Tensor) -> torch.Tensor:
    """Scores as floats, keeping float64 (a cast could make ties)."""
    return scores if scores.dtype == torch.float64 else scores.float()


def as_score_fn(scores: Union[torch.Tensor, np.ndarray, ScoreFn],
                num_queries: int, num_gallery: int) -> ScoreFn:
    """A ``(start, stop) -> (stop - start, G)`` function from a score
    matrix (or the function itself)."""
    if callable(scores):
        return scores
    matrix = _floating(torch.as_tensor(scores))
    if tuple(matrix.shape) != (num_queries, num_gallery):
        raise ValueError(f'Scores of shape {tuple(matrix.shape)} for '
                         f'{num_queries} queries and {num_gallery} gallery '
                         'items.')
    return lambda start, stop: matrix[start:stop]


def relevant_pairs(query_ids: torch.Tensor, sorted_ids: torch.Tensor,
                   order: torch.Tensor):
    """``(qi, gi)``: every gallery item ``gi`` with the id of query ``qi``
    (local index), looked up in the gallery ids sorted once
    (``sorted_ids, order = torch.sort(gallery_ids, stable=True)``), without
    comparing each query with every item."""
    first = torch.searchsorted(sorted_ids, query_ids, right=False)
    last = torch.searchsorted(sorted_ids, query_ids, right=True)
    counts = last - first
    qi = torch.repeat_interleave(torch.arange(len(query_ids)), counts)
    offsets = torch.cumsum(counts, 0) - counts
    within = torch.arange(len(qi)) - offsets[qi]
    gi = order[first[qi] + within]
    return qi, gi


def ranks_of(sim: torch.Tensor, qi: torch.Tensor,
             gi: torch.Tensor) -> torch.Tensor:
    """1-based stable-sort rank of item ``gi[p]`` in row ``qi[p]`` of
    ``sim`` ``(B, G)`` (descending; ties keep gallery order; ``qi`` sorted
    ascending, as :func:`relevant_pairs` gives it).

    Rows are counted in parallel threads (numpy's comparisons and counts
    release the GIL and vectorise well)."""
    if not len(qi):
        return torch.zeros(0, dtype=torch.long)
    scores = sim.numpy()
    qi_np, gi_np = qi.numpy(), gi.numpy()
    rank = np.empty(len(qi_np), dtype=np.int64)
    starts = np.searchsorted(qi_np, np.arange(len(scores) + 1))

    def count(rows: range) -> None:
        # rank of item g at score t: the items before it scoring >= t (ties
        # keep gallery order) and the items after it scoring > t, plus one;
        # one pass over the row per relevant item, no sort
        for r in rows:
            row = scores[r]
            for p in range(starts[r], starts[r + 1]):
                g = gi_np[p]
                t = row[g]
                rank[p] = (np.count_nonzero(row[:g] >= t) +
                           np.count_nonzero(row[g + 1:] > t) + 1)

    workers = max(1, min(torch.get_num_threads(), len(scores)))
    step = -(-len(scores) // workers)
    blocks = [range(i, min(i + step, len(scores)))
              for i in range(0, len(scores), step)]
    if workers == 1:
        count(blocks[0])
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(count, blocks))
    return torch.from_numpy(rank)


def evaluate_ranking(scores: Union[torch.Tensor, np.ndarray, ScoreFn],
                     query_ids=None,
                     gallery_ids=None,
                     topk: Sequence[int] = (1, 5, 10),
                     chunk_size: int = 256,
                     ignore: Optional[Callable[[int, int],
                                               torch.Tensor]] = None,
                     relevant=None) -> Dict[str, float]:
    """CMC and mAP (percent) of queries against a gallery.

    Args:
        scores: ``(Q, G)`` scores (higher = better), or a function
            ``(start, stop) -> (stop - start, G)`` computing them chunk by
            chunk, so the whole matrix never exists.
        query_ids: ``(Q, )`` integer id of each query.
        gallery_ids: ``(G, )`` integer id of each gallery item; an item is
            relevant to the queries with its id.
        topk: CMC ranks.
        chunk_size: queries scored at once.
        ignore: ``(start, stop) -> (stop - start, G)`` bool mask of the
            items each query must not see (removed from its ranking).
        relevant: ``(Q, G)`` bool mask of each query's relevant items,
            instead of ids (partial queries: the items with the query's
            specified attributes).

    Returns:
        dict: ``R<k>`` for each k and ``mAP`` in percent (0 when no query
        has a relevant item), and ``num_skipped``.
    """
    if relevant is not None:
        relevant = torch.as_tensor(np.asarray(relevant)).bool()
        if relevant.dim() != 2:
            raise ValueError('relevant must be a (Q, G) mask, got shape '
                             f'{tuple(relevant.shape)}.')
        num_queries, num_gallery = relevant.shape
    else:
        query_ids = torch.as_tensor(np.asarray(query_ids)).long()
        gallery_ids = torch.as_tensor(np.asarray(gallery_ids)).long()
        num_queries, num_gallery = len(query_ids), len(gallery_ids)
        sorted_ids, order = torch.sort(gallery_ids, stable=True)
    score_fn = as_score_fn(scores, num_queries, num_gallery)
    hits = {k: 0.0 for k in topk}
    ap_sum, num_valid = 0.0, 0
    for start in range(0, num_queries, chunk_size):
        stop = min(start + chunk_size, num_queries)
        sim = _floating(torch.as_tensor(score_fn(start, stop)))
        if tuple(sim.shape) != (stop - start, num_gallery):
            raise ValueError(
                f'The scores of queries {start} to {stop - 1} have shape '
                f'{tuple(sim.shape)}; expected ({stop - start}, '
                f'{num_gallery}) for {num_gallery} gallery items.')
        # a NaN or inf makes the sum non-finite (the full check only runs
        # then: a finite sum can also overflow)
        if not torch.isfinite(sim.sum()) and not torch.isfinite(sim).all():
            raise ValueError(
                f'Non-finite retrieval scores for queries {start} to '
                f'{stop - 1} (NaN or inf in the embeddings or attribute '
                'scores).')
        if relevant is not None:
            qi, gi = torch.nonzero(relevant[start:stop], as_tuple=True)
        else:
            qi, gi = relevant_pairs(query_ids[start:stop], sorted_ids,
                                    order)
        if ignore is not None:
            hidden = torch.as_tensor(ignore(start, stop)).bool()
            keep = ~hidden[qi, gi]
            qi, gi = qi[keep], gi[keep]
            sim = sim.masked_fill(hidden, float('-inf'))
        num_rel = torch.bincount(qi, minlength=stop - start)
        valid = num_rel > 0
        num_valid += int(valid.sum())
        if not len(qi):
            continue
        rank = ranks_of(sim, qi, gi)
        # order the pairs by (query, rank): the j-th relevant item of a
        # query (1-based) at rank r adds j / r to its AP sum.
        ordered = torch.argsort(qi * (num_gallery + 1) + rank)
        qi, rank = qi[ordered], rank[ordered]
        offsets = torch.cumsum(num_rel, 0) - num_rel
        j = torch.arange(len(qi)) - offsets[qi] + 1
        ap = torch.zeros(stop - start, dtype=torch.float64).index_add_(
            0, qi, j.double() / rank.double())
        ap_sum += float((ap[valid] / num_rel[valid]).sum())
        best = torch.full((stop - start, ), num_gallery + 1,
                          dtype=torch.long).scatter_reduce_(
                              0, qi, rank, reduce='amin')
        for k in topk:
            hits[k] += float((best[valid] <= k).sum())
    out = {f'R{k}': 100.0 * hits[k] / max(num_valid, 1) for k in topk}
    out['mAP'] = 100.0 * ap_sum / max(num_valid, 1)
    out['num_skipped'] = num_queries - num_valid
    return out

