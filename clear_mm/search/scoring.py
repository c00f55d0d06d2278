"""Scores of gallery images for complete and partial attribute queries.

CLEAR, ASMR and the multi-task model learned query embeddings of complete
attribute vectors only. A partial query ``q`` (some attributes unknown) is
scored without retraining by aggregating over the training combinations
``c`` consistent with it (equal to ``q`` wherever ``q`` is specified),
weighted by how many training images have them::

    s(i, q) = 1/sigma * log sum_c p(c | q) exp(sigma * cos(E^v_i, E^q_c)),
    p(c | q) = n_c / sum_{c' consistent} n_c'

``sigma`` is the scale of the angular margin loss the model was trained
with (its softmax temperature), so ``s`` is a soft maximum over the
plausible complete persons the query describes, on the cosine scale.
When no training combination is consistent with ``q``, the images are
ranked by the predicted probabilities of the specified attributes (mean
log-likelihood), when the gallery has them. Cerberus encodes the known
attribute groups only (its paper's partial queries): a group is known when
the query specifies one of its attributes, and its unspecified attributes
are then taken as absent. A complete query is encoded as it is.

When the gallery also has predicted attribute probabilities ``p_i`` (CLEAR
over its recognition model, ASMR over a frozen one, the multi-task model),
the two log-likelihoods are added, a product of the two experts the model
has::

    score(i, q) = sigma * s(i, q) + sum_{a specified} log p_i(a = q_a)

On the synthetic demo this ranks partial queries better than either the
embeddings or the attribute scores alone at most query sizes
(docs/results.md, partial queries).
"""
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F


class QueryScorer:
    """Scores a gallery for :class:`ParsedQuery` queries with ``model``.

    Args:
        model (AttributeModel): A retrieval model (its query encoder,
            training combinations, or its own encoding of partial queries).
        sigma (float, optional): Aggregation scale. Defaults to the
            model's ``score_scale``.
    """

    def __init__(self, model, sigma: Optional[float] = None):
        self.model = model
        self.sigma = float(sigma or model.score_scale)
        self._proxy_emb: Optional[torch.Tensor] = None

    def proxies(self) -> Tuple[np.ndarray, np.ndarray]:
        """The training combinations ``(P, A)`` and their image counts."""
        combinations = self.model.train_combinations()
        if combinations is None:
            raise ValueError(
                f'{type(self.model).__name__} keeps no training '
                'combinations to score partial queries over.')
        return combinations

    @torch.no_grad()
    def _proxy_embeddings(self) -> torch.Tensor:
        if self._proxy_emb is None:
            attrs, _ = self.proxies()
            self._proxy_emb = F.normalize(
                self.model.encode_queries(torch.from_numpy(attrs)).float()
                .cpu(), dim=1)
        return self._proxy_emb

    @torch.no_grad()
    def plan(self, vector: np.ndarray) -> dict:
        """How ``vector`` (1 / 0 / -1 unknown) is scored: ``mode``
        (``complete``, ``aggregate``, ``known-groups`` or
        ``attribute-scores``), the query embeddings ``embeddings``
        ``(C, D)`` and their ``log_weights`` ``(C, )``."""
        vector = np.asarray(vector)
        own = self.model.encode_partial_query(vector)
        if own is not None:  # the model encodes the known part itself
            emb, groups = own
            if emb is None:
                return dict(mode='attribute-scores')
            return dict(mode='known-groups', groups=groups,
                        embeddings=F.normalize(emb.float().cpu(), dim=1),
                        log_weights=torch.zeros(1))
        if (vector >= 0).all():
            emb = self.model.encode_queries(torch.from_numpy(vector)[None])
            return dict(mode='complete',
                        embeddings=F.normalize(emb.float().cpu(), dim=1),
                        log_weights=torch.zeros(1))
        attrs, counts = self.proxies()
        known = vector >= 0
        consistent = (attrs[:, known] == vector[known]).all(axis=1) & (
            counts > 0)
        if not consistent.any():
            return dict(mode='attribute-scores')
        weights = counts[consistent].astype(np.float64)
        return dict(
            mode='aggregate',
            combinations=int(consistent.sum()),
            embeddings=self._proxy_embeddings()[torch.from_numpy(
                np.flatnonzero(consistent))],
            log_weights=torch.from_numpy(np.log(weights / weights.sum()))
            .float())

    def uses_scores(self, gallery_scores: Optional[torch.Tensor]) -> bool:
        """Whether the attribute probabilities join the embedding score
        (not for Cerberus, whose scores are decoded 0/1 prototypes)."""
        return uses_scores(self.model.scores_are_probabilities,
                           gallery_scores)

    def combine(self, plan: dict, vector: np.ndarray, sims: torch.Tensor,
                gallery_scores: Optional[torch.Tensor]) -> torch.Tensor:
        """The final scores of images whose cosines with the plan's
        embeddings are ``sims`` ``(N, C)`` and whose predicted
        probabilities are ``gallery_scores`` ``(N, A)``."""
        return combine(plan, vector, sims, gallery_scores, self.sigma,
                       self.uses_scores(gallery_scores))

    def score(self, vector: np.ndarray, gallery: torch.Tensor,
              gallery_scores: Optional[torch.Tensor] = None
              ) -> Tuple[torch.Tensor, dict]:
        """Scores ``(N, )`` of the L2-normalised gallery embeddings
        ``(N, D)`` (and predicted probabilities ``(N, A)``, if given) for
        ``vector``, and the plan used."""
        plan = self.plan(vector)
        return score_with_plan(plan, vector, gallery, gallery_scores,
                               self.sigma,
                               self.uses_scores(gallery_scores)), plan


# -- the scoring itself: tensors in, tensors out (no model) -----------------
def aggregate(sims: torch.Tensor, log_weights: torch.Tensor,
              sigma: float) -> torch.Tensor:
    """``(N, C)`` cosines -> ``(N, )`` soft maximum (see the module)."""
    return torch.logsumexp(sigma * sims + log_weights[None], dim=1) / sigma


def attribute_likelihood(vector: np.ndarray,
                         scores: torch.Tensor) -> torch.Tensor:
    """Mean log-probability of the specified attributes ``(N, )`` under
    the predicted scores ``(N, A)``."""
    known = torch.from_numpy(np.flatnonzero(np.asarray(vector) >= 0))
    want = torch.from_numpy(np.asarray(vector))[known].float()
    p = scores[:, known].clamp(1e-6, 1 - 1e-6)
    return (want * p.log() + (1 - want) * (1 - p).log()).mean(dim=1)


def uses_scores(scores_are_probabilities: bool,
                gallery_scores: Optional[torch.Tensor]) -> bool:
    return bool(scores_are_probabilities and gallery_scores is not None
                and gallery_scores.numel() > 0)


def combine(plan: dict, vector: np.ndarray, sims: torch.Tensor,
            gallery_scores: Optional[torch.Tensor], sigma: float,
            use_scores: bool) -> torch.Tensor:
    """The final scores of images whose cosines with the plan's embeddings
    are ``sims`` ``(N, C)`` (plus the likelihood of the specified
    attributes under ``gallery_scores`` ``(N, A)`` when ``use_scores``)."""
    score = aggregate(sims, plan['log_weights'], sigma)
    if not use_scores:
        return score
    plan['mode'] += '+attribute-scores'
    known = int((np.asarray(vector) >= 0).sum())
    return sigma * score + known * attribute_likelihood(vector, gallery_scores)


def score_with_plan(plan: dict, vector: np.ndarray, gallery: torch.Tensor,
                    gallery_scores: Optional[torch.Tensor], sigma: float,
                    use_scores: bool) -> torch.Tensor:
    """Scores ``(N, )`` of the L2-normalised gallery embeddings ``(N, D)``
    for ``vector`` by a plan the model prepared (:meth:`QueryScorer.plan`)."""
    if plan['mode'] == 'attribute-scores':
        if not use_scores:
            raise ValueError(
                'No training combination agrees with the query and the '
                'gallery has no predicted attribute scores to rank by: '
                'specify fewer attributes.')
        return attribute_likelihood(vector, gallery_scores)
    sims = gallery @ plan['embeddings'].t()
    return combine(plan, vector, sims, gallery_scores, sigma, use_scores)
