"""The losses of Cerberus (paper 003, Sec. 3.2, Eq. 3-8)."""
import math
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from clear_mm.registry import MODELS


def adaptive_margins(counts: Sequence[int], alpha: float = 0.4,
                     beta: float = 1.8) -> torch.Tensor:
    """Eq. (4): m_g = log(alpha * N_g / N + beta) for each SID g of a group,
    N_g the persons with that SID and N all persons."""
    counts = torch.as_tensor(counts, dtype=torch.float32)
    total = counts.sum().clamp_min(1)
    return torch.log(alpha * counts / total + beta)


@MODELS.register_module()
class SemanticGuidanceLoss(nn.Module):
    """Eq. (3): mean over the (group, SID) pairs of a batch of
    ``max(1 - m_g - cos(f, p_g), 0)``: a partial representation is pulled
    to its SID prototype until their cosine passes ``1 - m_g`` (m_g from
    Eq. 4, larger for frequent SIDs, which leaves their images to the
    identification term).

    Args:
        loss_weight (float): lambda_sem. Defaults to 5.
    """

    def __init__(self, loss_weight: float = 5.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats: Sequence[torch.Tensor],
                prototypes: Sequence[torch.Tensor], sids: torch.Tensor,
                margins: Sequence[torch.Tensor]) -> torch.Tensor:
        """
        Args:
            feats: per group, ``(B, d)`` partial representations.
            prototypes: per group, ``(S_g, d)`` SID prototypes.
            sids: ``(B, G)`` each image's SID per group.
            margins: per group, ``(S_g, )`` boundary margins.
        """
        terms = []
        for g, (f, p, m) in enumerate(zip(feats, prototypes, margins)):
            k = sids[:, g]
            cos = F.cosine_similarity(f, p[k], dim=1)
            terms.append(F.relu(1 - m.to(f.device)[k] - cos))
        return self.loss_weight * torch.stack(terms, 1).mean()


def batch_hard_soft_margin_triplet(feats: torch.Tensor,
                                   labels: torch.Tensor) -> torch.Tensor:
    """The second part of Eq. (5): ``log(1 + exp(d(a, p) - d(a, n)))`` with
    the hardest positive and negative of each anchor in the batch
    (Euclidean distance, Hermans et al. 2017), averaged over anchors that
    have both."""
    dist = torch.cdist(feats, feats)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=feats.device)
    pos = same & ~eye
    valid = pos.any(1) & (~same).any(1)
    if not valid.any():
        return feats.sum() * 0
    hardest_pos = dist.masked_fill(~pos, -math.inf).amax(1)
    hardest_neg = dist.masked_fill(same, math.inf).amin(1)
    return F.softplus(hardest_pos - hardest_neg)[valid].mean()


@MODELS.register_module()
class IdentificationLoss(nn.Module):
    """Eq. (5), averaged over the groups: cross-entropy of each partial
    representation's identity classifier plus the batch-hard soft-margin
    triplet loss.

    Args:
        loss_weight (float): lambda_id. Defaults to 1.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats: Sequence[torch.Tensor],
                logits: Sequence[torch.Tensor],
                labels: torch.Tensor) -> torch.Tensor:
        terms = [
            F.cross_entropy(z, labels) +
            batch_hard_soft_margin_triplet(f, labels)
            for f, z in zip(feats, logits)
        ]
        return self.loss_weight * torch.stack(terms).mean()


@MODELS.register_module()
class PrototypeRegularizer(nn.Module):
    """Eq. (6)-(8): for every pair (m, n) of SID prototypes of a group,
    ``||p_m - p_n - r_mn||^2`` with the residual
    ``r_mn = sum_l v_l (A_m(l) - A_n(l))`` of learnable per-attribute
    vectors v_l, summed over pairs and averaged over groups. Pairs that
    differ in the same attributes get the same residual, which places the
    prototype of a SID unseen in training ('old female') where 'adult
    female' relates to it as 'adult male' to 'old male'.

    Args:
        num_attributes (int): Attributes of the dataset; one learnable v_l
            each (those in no group stay unused).
        embed_dims (int): d. Defaults to 512.
        loss_weight (float): lambda_reg. Defaults to 0.001.
    """

    def __init__(self, num_attributes: int, embed_dims: int = 512,
                 loss_weight: float = 0.001):
        super().__init__()
        self.loss_weight = loss_weight
        self.residuals = nn.Parameter(torch.zeros(num_attributes, embed_dims))

    def residual(self, columns: Sequence[int],
                 diff: torch.Tensor) -> torch.Tensor:
        """``sum_l v_l diff(l)`` for attribute differences ``(..., L^G)``
        over the attributes ``columns`` of a group."""
        return diff.float() @ self.residuals[list(columns)]

    def forward(self, prototypes: Sequence[torch.Tensor],
                attributes: Sequence[torch.Tensor],
                columns: Sequence[Sequence[int]]) -> torch.Tensor:
        """
        Args:
            prototypes: per group, ``(S_g, d)``.
            attributes: per group, ``(S_g, L^G)`` 0/1 attributes A^G of
                each SID.
            columns: per group, the indices of its L^G attributes.
        """
        terms: List[torch.Tensor] = []
        for p, a, cols in zip(prototypes, attributes, columns):
            a = a.to(p.device)
            diff = p[:, None] - p[None] - self.residual(
                cols, a[:, None] - a[None])
            terms.append(diff.pow(2).sum())
        return self.loss_weight * torch.stack(terms).mean()
