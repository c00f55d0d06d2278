import copy
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from clear_mm.models.attribute_model import AttributeModel
from clear_mm.models.losses import PrototypeRegularizer, adaptive_margins
from clear_mm.models.utils import with_defaults
from clear_mm.models.utils.dataset_meta import (HOW_TO_SET,
                                                check_same_attributes,
                                                require_attributes, schema_of)
from clear_mm.registry import MODELS
from clear_mm.structures.extra_state import pack_state, unpack_state
from clear_mm.structures.semantic_ids import GROUP_NAMES, SemanticIDs

LOCAL_GROUPS = ('head', 'upper', 'lower')


def align_feature_map(feat: torch.Tensor, sigma: float) -> torch.Tensor:
    """Cerberus' parameter-free alignment module (Sec. 3.1.1): the heat map
    ``H(p) = ||F(p)||_2`` over channels, its row-wise maximum ``h``; the
    rows from the first to the last where ``h > sigma`` are kept and resized
    (bilinear) back to the map's height. A map with no row above ``sigma``
    is kept whole."""
    C, H, W = feat.shape[1:]
    above = feat.norm(dim=1).amax(dim=2) > sigma  # (B, H)
    rows = torch.arange(H, device=feat.device)
    found = above.any(dim=1)
    # first and last row above sigma (the whole map when there is none)
    top = torch.where(found, above.float().argmax(dim=1), 0)
    bottom = torch.where(found, H - above.flip(1).float().argmax(dim=1), H)
    # F.interpolate(bilinear, align_corners=False) of rows top..bottom-1
    # back to H rows, for every image at once (no data-dependent Python
    # control flow, so that the alignment traces and exports): output row
    # y reads crop row (y + 0.5) n / H - 0.5, clamped to the crop
    n = (bottom - top).to(feat.dtype)[:, None]
    src = ((rows[None].to(feat.dtype) + 0.5) * n / H - 0.5).clamp(min=0)
    src = torch.minimum(src, n - 1) + top[:, None].to(feat.dtype)
    low = src.floor().long()
    high = torch.minimum(low + 1, (bottom - 1)[:, None])
    weight = (src - low.to(feat.dtype))[:, None, :, None]

    def take(index):  # (B, H) row indices -> (B, C, H, W)
        return feat.gather(2, index[:, None, :, None].expand(-1, C, -1, W))

    return take(low) * (1 - weight) + take(high) * weight


def part_average_pool(feat: torch.Tensor,
                      parts: int = 3) -> List[torch.Tensor]:
    """Average pooling over ``parts`` horizontal stripes (top to bottom),
    each ``(B, C)``: ``adaptive_avg_pool2d(feat, (parts, 1))``'s stripes
    (rows ``floor(i H / parts)`` to ``ceil((i + 1) H / parts)``), written
    out so that ONNX exports it when ``parts`` does not divide ``H``."""
    h = feat.shape[2]  # non-negative divisions only: a traced graph's
    return [  # integer division truncates
        feat[:, :, i * h // parts:((i + 1) * h + parts - 1) // parts].mean(
            dim=(2, 3)) for i in range(parts)
    ]


class _Embed(nn.Sequential):
    """FC + BN to a ``d``-dim partial representation."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Linear(in_channels, out_channels, bias=False),
            nn.BatchNorm1d(out_channels))


@MODELS.register_module()
class Cerberus(BaseModel, AttributeModel):
    """Cerberus (Eom et al.; paper 003): attribute-based person reID with
    semantic IDs, which also does attribute-based person search (APS) and
    PAR with the same model.

    - Backbone: a ResNet (mmpretrain ``ResNet``, last stride 1: 24 x 8 maps
      for 384 x 128 input) cut after conv4_1 (the first block of layer3);
      the rest (layer3[1:], layer4) is duplicated into a global and a local
      branch, initialised identically.
    - Global map -> GAP -> FC+BN -> identity and carrying representations;
      local map -> alignment module (``sigma``) -> part average pooling
      (top / middle / bottom) -> FC+BN -> head, upper and lower.
    - One learnable prototype (He normal) per SID of each group; an identity
      classifier per partial representation.
    - L = lambda_sem L_sem + lambda_id L_id + lambda_reg L_reg (Eq. 1-2;
      the weights live in the loss configs).

    Inference: ``predict`` gives ``pred_parts`` (the five L2-normalised
    representations, ``(5, d)``), ``pred_embedding`` (their concatenation /
    sqrt(5): cosine of two = mean cosine of the parts, the reID similarity
    of Sec. 3.3), ``pred_score``/``pred_label`` (PAR: the nearest prototype
    of each group, Eq. 9, converted back to attributes; attributes in no
    group score 0). :meth:`encode_queries` embeds attribute queries by their
    SID prototypes (APS), with unknown groups left out for partial queries.

    Before training :meth:`set_dataset_meta` (called by
    :class:`DatasetMetaHook`) gives the model its dataset's SID groups
    (``metainfo['sid_groups']``), the SIDs of the training split, the
    adaptive margins (Eq. 4, counted per person) and the person id -> class
    mapping. All of it is in the state dict (``get_extra_state``): a
    trained checkpoint predicts without its training split.

    Args:
        backbone (dict): A ResNet config (``strides=(1, 2, 2, 1)``).
        num_attributes (int): Attributes of the dataset.
        num_sids (Sequence[int]): SIDs per group, in ``groups`` order
            (checked against the training data).
        num_ids (int): Training identities (identity classifiers).
        embed_dims (int): d. Defaults to 512.
        sigma (float): Alignment threshold. Defaults to 5.
        alpha, beta (float): Eq. (4). Defaults to 0.4 and 1.8.
        sem_loss, id_loss (dict): Loss configs (lambda_sem = 5,
            lambda_id = 1).
        reg_weight (float): lambda_reg. Defaults to 0.001.
        thr (float): PAR decision threshold on ``pred_score``. Defaults
            to 0.5.
        groups (Sequence[str]): The SID groups, the keys of the dataset's
            ``metainfo['sid_groups']``. Those named 'head', 'upper',
            'lower' come from the local branch (top, middle, bottom), the
            others from the global one. Defaults to the paper's five.
    """

    def __init__(self,
                 backbone: dict,
                 num_attributes: int,
                 num_sids: Sequence[int],
                 num_ids: int,
                 embed_dims: int = 512,
                 sigma: float = 5.0,
                 alpha: float = 0.4,
                 beta: float = 1.8,
                 sem_loss: dict = dict(type='SemanticGuidanceLoss',
                                       loss_weight=5.0),
                 id_loss: dict = dict(type='IdentificationLoss',
                                      loss_weight=1.0),
                 reg_weight: float = 0.001,
                 thr: float = 0.5,
                 groups: Sequence[str] = GROUP_NAMES,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = with_defaults(
            data_preprocessor, type=ClsDataPreprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_attributes = num_attributes
        self.groups = list(groups)
        if len(num_sids) != len(self.groups):
            raise ValueError(f'num_sids has {len(num_sids)} entries for '
                             f'{len(self.groups)} groups {self.groups}.')
        self.local_groups = [g for g in LOCAL_GROUPS if g in self.groups]
        self.num_sids = list(num_sids)
        self.num_ids = num_ids
        self.sigma, self.alpha, self.beta = sigma, alpha, beta
        self.thr = thr

        self.backbone = MODELS.build(backbone)
        self.local_tail = copy.deepcopy(self._global_tail())
        channels = self.backbone.feat_dim  # 2048 for a ResNet-50
        self.embeds = nn.ModuleDict(
            {g: _Embed(channels, embed_dims) for g in self.groups})
        self.id_classifiers = nn.ModuleDict({
            g: nn.Linear(embed_dims, num_ids, bias=False)
            for g in self.groups
        })
        self.prototypes = nn.ParameterList([
            nn.Parameter(nn.init.kaiming_normal_(torch.empty(n, embed_dims)))
            for n in self.num_sids
        ])
        self.sem_loss = MODELS.build(sem_loss)
        self.id_loss = MODELS.build(id_loss)
        self.regularizer = PrototypeRegularizer(num_attributes, embed_dims,
                                                reg_weight)
        self.embed_dims = embed_dims
        self.schema: Optional[dict] = None
        self.sids: Optional[SemanticIDs] = None
        self.person_counts: List[np.ndarray] = []  # per group, for Eq. (4)
        self.margins: List[torch.Tensor] = []
        self.id_index: Dict[int, int] = {}

    # -- backbone split ----------------------------------------------------
    def _global_tail(self) -> nn.Sequential:
        b = self.backbone
        return nn.Sequential(*list(b.layer3.children())[1:], b.layer4)

    def _shared(self, x: torch.Tensor) -> torch.Tensor:
        b = self.backbone
        x = b.maxpool(b.relu(getattr(b, b.norm1_name)(b.conv1(x)))) \
            if not b.deep_stem else b.maxpool(b.stem(x))
        x = b.layer2(b.layer1(x))
        return b.layer3[0](x)  # conv4_1

    def init_weights(self):
        super().init_weights()
        # both branches start from the same (e.g. ImageNet) weights
        self.local_tail.load_state_dict(self._global_tail().state_dict())

    # -- dataset -------------------------------------------------------------
    @property
    def query_columns(self) -> np.ndarray:
        """The attributes Cerberus can search on: those of its groups (an
        image property such as the synthetic view is in none)."""
        self._require_sids()
        return np.concatenate(self.sids.columns)

    def set_dataset_meta(self, meta: dict) -> None:
        """The dataset's schema (``sid_groups`` among it) and, before
        training, ``train_labels`` ``(N, A)`` and ``person_ids`` ``(N, )``:
        the SIDs are the training split's distinct group combinations, the
        margins count them per person (one vector per identity), and the
        identities are the classes of the id classifiers. A trained model
        only checks that the data have its attributes."""
        name = type(self).__name__
        attributes = require_attributes(meta, self.num_attributes, name)
        labels = meta.get('train_labels')
        if labels is None:
            check_same_attributes(
                None if self.schema is None else self.schema['attributes'],
                attributes, name)
            if self.sids is None:
                raise RuntimeError(
                    f'{name} has no SIDs: they come from the training split. '
                    'Load a checkpoint trained with this code (it carries '
                    'them), or call set_dataset_meta(dict(metainfo, '
                    'train_labels=..., person_ids=...)).')
            return
        groups = meta.get('sid_groups')
        if groups is None or list(groups) != self.groups:
            raise ValueError(
                f"{name}: the dataset's metainfo['sid_groups'] must have the "
                f'groups {self.groups}, got '
                f'{None if groups is None else list(groups)}. Declare them '
                'in the dataset class\'s METAINFO or with metainfo=dict('
                'sid_groups=...) in the dataset config.')
        pids = meta.get('person_ids')
        if pids is None or len(pids) != len(labels):
            raise ValueError(
                f'{name} trains on identities: the dataset meta needs '
                "'person_ids', one per training image (a dataset with "
                'person_id in its data infos).')
        labels = np.asarray(labels)
        sids = SemanticIDs(attributes, groups, labels)
        if sids.num_sids != self.num_sids:
            raise ValueError(
                f'The training data have {sids.num_sids} SIDs per group '
                f'{self.groups}; the model was built for {self.num_sids}: '
                f'set model.num_sids={sids.num_sids}.')
        persons: Dict[int, np.ndarray] = {}
        for pid, row in zip(pids, labels):
            persons.setdefault(int(pid), row)
        if len(persons) != self.num_ids:
            raise ValueError(
                f'The training data have {len(persons)} identities; the '
                f'model was built for {self.num_ids}: set model.num_ids='
                f'{len(persons)}.')
        self.schema = schema_of(meta)
        self._set_state(sids, sids.counts(np.stack(list(persons.values()))),
                        sorted(persons))
        MMLogger.get_current_instance().info(
            f'Cerberus: {sum(sids.num_sids)} SIDs '
            f'{dict(zip(sids.group_names, sids.num_sids))} from '
            f'{len(persons)} training persons ({len(labels)} images).')

    def _set_state(self, sids: SemanticIDs, counts: Sequence[np.ndarray],
                   person_ids: Sequence[int]) -> None:
        self.sids = sids
        self.person_counts = [np.asarray(c) for c in counts]
        self.margins = [
            adaptive_margins(c, self.alpha, self.beta)
            for c in self.person_counts
        ]
        self.id_index = {int(pid): k for k, pid in enumerate(person_ids)}

    def get_extra_state(self) -> torch.Tensor:
        """Schema, SID tables, per-person SID counts and the training
        identities, saved in the state dict (packed by :func:`pack_state`).
        """
        if self.sids is None:
            return pack_state(dict(schema=self.schema))
        return pack_state(dict(
            schema=self.schema,
            sids=[torch.from_numpy(t.astype(np.int64))
                  for t in self.sids.sids],
            person_counts=[torch.from_numpy(c) for c in self.person_counts],
            person_ids=torch.tensor(sorted(self.id_index),
                                    dtype=torch.long)))

    def set_extra_state(self, state) -> None:
        state = unpack_state(state)
        if state.get('sids') is None:
            return
        schema = dict(state['schema'])
        require_attributes(schema, self.num_attributes,
                           f'{type(self).__name__} (checkpoint)')
        sids = SemanticIDs.from_tables(
            schema['attributes'], schema['sid_groups'],
            [t.numpy() for t in state['sids']])
        if sids.num_sids != self.num_sids:
            raise ValueError(f'The checkpoint has {sids.num_sids} SIDs per '
                             f'group, the model {self.num_sids}.')
        self.schema = schema
        self._set_state(sids, [c.numpy() for c in state['person_counts']],
                        state['person_ids'].tolist())

    # -- features ------------------------------------------------------------
    def extract_parts(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """The partial representations ``(B, d)``, in ``groups`` order."""
        shared = self._shared(inputs)
        global_map = self._global_tail()(shared)
        local_map = align_feature_map(self.local_tail(shared), self.sigma)
        pooled = dict(
            zip(self.local_groups,
                part_average_pool(local_map, len(self.local_groups))))
        gap = global_map.mean(dim=(2, 3))
        return [self.embeds[g](pooled.get(g, gap)) for g in self.groups]

    def embed_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """The L2-normalised parts, concatenated and scaled by
        1/sqrt(#groups) (``pred_embedding``): unit vectors whose cosine
        with a query is the mean cosine over the groups."""
        parts = [F.normalize(f, dim=1) for f in self.extract_parts(inputs)]
        return torch.cat(parts, dim=1) / len(self.groups)**0.5

    # the interface's declarations: PAR by the nearest prototypes, queries
    # by prototype look-ups (no network to export)
    predicts_attribute_scores = True
    query_graph_exportable = False
    scores_are_probabilities = False

    def encode_partial_query(self, vector: np.ndarray):
        """The known groups of ``vector`` (1 / 0 / -1 unknown) encoded as
        Sec. 3.3 of the paper does; ``(None, [])`` when none is known."""
        self._require_sids()
        vector = np.asarray(vector)
        groups = [
            g for g, cols in zip(self.groups, self.sids.columns)
            if (vector[cols] >= 0).any()
        ]
        if not groups:
            return None, []
        return self.encode_queries(
            np.maximum(vector, 0)[None], known_groups=groups), groups

    def _require_sids(self):
        if self.sids is None:
            raise RuntimeError(f'Cerberus has no SIDs: {HOW_TO_SET}.')

    # -- training ------------------------------------------------------------
    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        self._require_sids()
        if not self.margins:
            raise RuntimeError(f'Cerberus.loss needs its training data: '
                               f'{HOW_TO_SET}.')
        device = inputs.device
        attrs = np.stack([s.gt_score.cpu().numpy() for s in data_samples])
        sids = torch.from_numpy(self.sids.encode(attrs)).to(device)
        try:
            labels = torch.tensor(
                [self.id_index[int(s.person_id)] for s in data_samples],
                device=device)
        except KeyError as e:
            raise KeyError(f'Person id {e.args[0]} is not a training '
                           'identity.') from None
        parts = self.extract_parts(inputs)
        logits = [
            self.id_classifiers[g](f) for g, f in zip(self.groups, parts)
        ]
        attributes = [torch.from_numpy(s) for s in self.sids.sids]
        return dict(
            loss_sem=self.sem_loss(parts, list(self.prototypes), sids,
                                   self.margins),
            loss_id=self.id_loss(parts, logits, labels),
            loss_reg=self.regularizer(list(self.prototypes), attributes,
                                      self.sids.columns))

    # -- inference -----------------------------------------------------------
    def prototype(self, group: int, attrs: np.ndarray) -> torch.Tensor:
        """The prototype of a group's attribute values ``(L^G, )``; a
        combination that is no SID is estimated with the residuals of Eq.
        (8): the mean over SIDs m of ``p_m + sum_l v_l (A(l) - A_m(l))``."""
        attrs = np.asarray(attrs, dtype=np.int8)
        k = self.sids._lookup[group].get(attrs.tobytes())
        if k is not None:
            return self.prototypes[group][k]
        known = torch.from_numpy(self.sids.sids[group]).to(
            self.prototypes[group].device)
        diff = torch.from_numpy(attrs).to(known.device)[None] - known
        return (self.prototypes[group] + self.regularizer.residual(
            self.sids.columns[group], diff)).mean(0)

    @torch.no_grad()
    def encode_queries(self, attrs, known_groups=None) -> torch.Tensor:
        """APS query embeddings ``(Q, G x d)``: the L2-normalised SID
        prototypes of each query's groups, concatenated, with the groups
        not in ``known_groups`` (names or indices; default all) zeroed and
        the rest scaled by 1/sqrt(#known): the cosine with
        ``pred_embedding`` is the mean cosine over the known groups times
        sqrt(#known / G), so it ranks a gallery like that mean (partial
        queries, Sec. 3.3)."""
        self._require_sids()
        attrs = np.asarray(attrs)
        if known_groups is None:
            known = list(range(len(self.groups)))
        else:
            bad = [
                g for g in known_groups
                if not (g in self.groups if isinstance(g, str) else 0 <=
                        int(g) < len(self.groups))
            ]
            if bad or not len(known_groups):
                raise ValueError(
                    f'known_groups {list(known_groups)}: expected a non-empty '
                    f'subset of {self.groups} (names or indices).')
            known = [self.groups.index(g) if isinstance(g, str) else int(g)
                     for g in known_groups]
        out = torch.zeros(len(attrs), len(self.groups), self.embed_dims,
                          device=self.prototypes[0].device)
        for g in known:
            cols = self.sids.columns[g]
            for q, row in enumerate(attrs[:, cols]):
                out[q, g] = F.normalize(self.prototype(g, row), dim=0)
        return (out / len(known)**0.5).flatten(1)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        parts = torch.stack(
            [F.normalize(f, dim=1) for f in self.extract_parts(inputs)], 1)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(parts))]
        scores = None
        if self.sids is not None:
            nearest = torch.stack([
                (parts[:, g] @ F.normalize(p, dim=1).t()).argmax(1)
                for g, p in enumerate(self.prototypes)
            ], 1)
            scores = torch.from_numpy(
                self.sids.decode(nearest.cpu().numpy())).float()
        for i, sample in enumerate(data_samples):
            sample.set_field(parts[i], 'pred_parts')
            sample.set_field(parts[i].flatten() / len(self.groups)**0.5,
                             'pred_embedding')
            if scores is not None:
                sample.set_pred_score(scores[i]).set_pred_label(
                    torch.where(scores[i] > self.thr)[0])
        return data_samples

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'tensor':
            return torch.cat(self.extract_parts(inputs), 1)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')
