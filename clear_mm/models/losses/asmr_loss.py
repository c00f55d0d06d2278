from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from clear_mm.registry import MODELS


@MODELS.register_module()
class ASMRLoss(nn.Module):
    """Semantic regularizer of the attribute embeddings (ASMR, Jeong et al.
    ICCV 2021), as docs/method_notes.md ("ASMR baseline") reads it.

    For every pair (i, j) of attribute combinations (the proxies), the
    cosine similarity of their embeddings is pulled towards a target that
    falls with their semantic distance::

        h_g(i, j) = share of the attributes of group g that differ
        d(i, j)   = sum_g w_g h_g(i, j) / sum_g w_g          (in [0, 1])
        target    = 1 - 2 d(i, j)                            (in [-1, 1])
        L         = mean over pairs i < j of (cos(e_i, e_j) - target)^2

    with learnable group weights ``w_g = softplus(theta_g)`` (initialised
    equal): identical combinations should coincide, combinations that differ
    in every group should be opposite, and the model learns which groups
    matter more. ASMR's exact formula is not in the papers this project
    has; this reading is recorded in docs/method_notes.md.

    Args:
        num_groups (int): Number of attribute groups of the dataset (its
            ``metainfo['attribute_groups']``; e.g. 10 for PA100K). Fixed at
            construction so the weights are trained parameters.
        loss_weight (float): lambda_ASMR. Defaults to 1.0.
        max_proxies (int, optional): In training, use a random subset of
            this many combinations per call (an unbiased estimate of the
            mean over all pairs at a fraction of the O(P^2) cost; P = 7,000
            with AAC is 24 M pairs). Defaults to None (all).
    """

    def __init__(self,
                 num_groups: int,
                 loss_weight: float = 1.0,
                 max_proxies: Optional[int] = None):
        super().__init__()
        if num_groups < 1:
            raise ValueError(f'num_groups must be >= 1, got {num_groups}.')
        if max_proxies is not None and max_proxies < 2:
            raise ValueError(f'max_proxies must be >= 2, got {max_proxies}.')
        self.max_proxies = max_proxies
        self.num_groups = num_groups
        self.loss_weight = loss_weight
        # softplus(0.5413) = 1
        self.group_logits = nn.Parameter(torch.full((num_groups, ), 0.5413))
        self.register_buffer(
            'group_of', torch.zeros(0, dtype=torch.long), persistent=False)

    def set_groups(self, attributes: Sequence[str],
                   groups: Dict[str, List[str]]) -> None:
        """Group index of each attribute, from ``{group: [attributes]}``."""
        if len(groups) != self.num_groups:
            raise ValueError(
                f'ASMRLoss was built for {self.num_groups} attribute groups, '
                f'the dataset has {len(groups)} ({list(groups)}): set '
                f'num_groups={len(groups)}.')
        index = {a: g for g, names in enumerate(groups.values())
                 for a in names}
        missing = [a for a in attributes if a not in index]
        if missing:
            raise ValueError(f'Attributes {missing} are in no group.')
        self.group_of = torch.tensor([index[a] for a in attributes],
                                     device=self.group_logits.device)

    def semantic_distance(self, attrs: torch.Tensor,
                          group_of: Optional[torch.Tensor] = None
                          ) -> torch.Tensor:
        """``(P, P)`` weighted group Hamming distance in [0, 1]."""
        group_of = self.group_of if group_of is None else group_of
        if group_of.numel() != attrs.shape[1]:
            raise RuntimeError(
                'ASMRLoss has no attribute groups for these vectors: call '
                'set_groups (done when the retriever binds its dataset).')
        attrs = attrs.float()
        weights = F.softplus(self.group_logits)
        distance = attrs.new_zeros(len(attrs), len(attrs))
        for g in range(self.num_groups):
            x = attrs[:, group_of == g]
            if not x.shape[1]:
                continue
            # Hamming distance of 0/1 rows as two products: no (P, P, A).
            hamming = x @ (1 - x).t() + (1 - x) @ x.t()
            distance = distance + weights[g] * hamming / x.shape[1]
        return distance / weights.sum()

    def forward(self, embeddings: torch.Tensor,
                attrs: torch.Tensor) -> torch.Tensor:
        """
        Args:
            embeddings (Tensor): ``(P, D)`` attribute embeddings.
            attrs (Tensor): ``(P, A)`` their 0/1 attribute vectors.
        """
        if len(embeddings) < 2:
            return embeddings.sum() * 0
        if (self.training and self.max_proxies
                and len(embeddings) > self.max_proxies):
            keep = torch.randperm(
                len(embeddings), device=embeddings.device)[:self.max_proxies]
            embeddings, attrs = embeddings[keep], attrs[keep.to(attrs.device)]
        e = F.normalize(embeddings, dim=1)
        cos = e @ e.t()
        target = 1 - 2 * self.semantic_distance(attrs.to(e.device))
        i, j = torch.triu_indices(len(e), len(e), offset=1, device=e.device)
        return self.loss_weight * (cos[i, j] - target[i, j]).pow(2).mean()
