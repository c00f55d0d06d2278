from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from clear_mm.registry import MODELS
from clear_mm.structures.attribute_combinations import additional_combinations
from clear_mm.structures.extra_state import pack_state, unpack_state
from ..attribute_model import AttributeModel
from ..utils.dataset_meta import (HOW_TO_SET, check_same_attributes,
                                  require_attributes, schema_of)


class BaseAttributeRetriever(BaseModel, AttributeModel):
    """What every model trained with attribute combinations as proxies
    shares (:class:`AttributeRetriever`,
    :class:`MultiTaskAttributeTransformer`):
    the bound dataset (attribute names, groups), the proxies (the training
    split's distinct 0/1 vectors, plus AAC ones with ``extra_combinations``),
    the target proxy of each training image and an optional regularizer of
    the proxies' embeddings (``ASMRLoss``). :meth:`set_dataset_meta` (called
    by :class:`DatasetMetaHook`) gives the model its dataset's schema and,
    before training, the training labels whose distinct rows become the
    proxies. Schema and proxies are part of the state dict
    (``get_extra_state``), so a checkpoint carries them.

    Subclasses implement ``loss``, ``predict``, ``encode_queries`` and
    ``embed_images``.

    Args:
        num_attributes (int): Length of the attribute vectors.
        num_negatives (int, optional): Sample this many proxies per
            iteration (the batch's positives always included) instead of
            using them all. Defaults to None (all).
        regularizer (dict, optional): A loss on the proxies' attribute
            embeddings, e.g. ``ASMRLoss``. Defaults to None.
        extra_combinations (dict, optional): AAC (paper 004): kwargs of
            :func:`additional_combinations` (``num``, ``seed``, ``rules``);
            groups and exclusion rules come from the dataset meta.
            Defaults to None (training combinations only).
    """

    def __init__(self,
                 num_attributes: int,
                 num_negatives: Optional[int] = None,
                 regularizer: Optional[dict] = None,
                 extra_combinations: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_attributes = num_attributes
        self.num_negatives = num_negatives
        self.extra_combinations = extra_combinations
        self.regularizer = None if regularizer is None else MODELS.build(
            regularizer)
        # the dataset schema (attributes, groups, rules, descriptions)
        self.schema: Optional[dict] = None
        self.register_buffer(
            'train_attrs', torch.zeros(0, num_attributes, dtype=torch.long),
            persistent=False)
        self._train_index: Dict[bytes, int] = {}
        # training images per proxy (0 for AAC ones; None: not recorded,
        # e.g. a checkpoint from before they were)
        self.proxy_counts: Optional[np.ndarray] = None

    # -- dataset and proxies --------------------------------------------
    def train_combinations(self):
        """The proxies ``(P, A)`` and their image counts (ones when the
        checkpoint did not record them)."""
        attrs = self.train_attrs.cpu().numpy()
        counts = self.proxy_counts
        if counts is None:
            counts = np.ones(len(attrs), dtype=np.int64)
        return attrs, np.asarray(counts)

    def set_dataset_meta(self, meta: dict) -> None:
        """The dataset the model runs on: its ``metainfo`` (schema), plus
        ``train_labels`` ``(N, A)`` before training, whose distinct rows
        (and the AAC vectors, with ``extra_combinations``) become the
        proxies. A trained model only accepts data with its own
        attributes."""
        attributes = require_attributes(meta, self.num_attributes,
                                        type(self).__name__)
        train_labels = meta.get('train_labels')
        if train_labels is None:
            check_same_attributes(self.attributes, attributes,
                                  type(self).__name__)
            if self.schema is not None:
                return  # keeps the schema it was trained with
        self.schema = schema_of(meta)
        self.on_schema()
        if train_labels is not None:
            combos, counts = np.unique(
                self.check_attrs(train_labels, 'Training labels').numpy(),
                axis=0, return_counts=True)
            self.set_train_combinations(combos)
            self.proxy_counts = np.zeros(len(self.train_attrs), np.int64)
            for row, count in zip(combos, counts):  # AAC proxies keep 0
                self.proxy_counts[self._train_index[row.astype(
                    np.int8).tobytes()]] = count

    def on_schema(self) -> None:
        """Called when the schema is set (subclasses build what depends on
        it)."""
        groups = self.schema.get('attribute_groups')
        if groups is not None and hasattr(self.regularizer, 'set_groups'):
            self.regularizer.set_groups(self.schema['attributes'], groups)

    def set_train_combinations(self, attrs) -> None:
        """The proxies: every distinct attribute vector of the training
        split ``(P, num_attributes)``, plus AAC vectors if configured."""
        attrs = self.check_attrs(attrs, 'Training combinations')
        attrs = torch.unique(attrs, dim=0)
        if self.extra_combinations is not None:
            if self.schema is None or 'attribute_groups' not in self.schema:
                raise RuntimeError(
                    'extra_combinations needs the dataset\'s attribute '
                    f'groups and exclusion rules: {HOW_TO_SET}.')
            extra_cfg = dict(self.extra_combinations)
            rules = extra_cfg.pop('rules', None)
            if rules is None:
                rules = self.schema.get('exclusion_rules')
            if rules is None:
                raise ValueError(
                    'extra_combinations: the dataset declares no '
                    "metainfo['exclusion_rules'] (which groups hold exactly "
                    'or at most one positive). Declare them, {} if every '
                    'group is free, or set extra_combinations.rules.')
            extra = additional_combinations(
                attrs.numpy(), self.schema['attributes'],
                self.schema['attribute_groups'], rules, **extra_cfg)
            MMLogger.get_current_instance().info(
                f'{type(self).__name__}: {len(extra)} additional plausible '
                f'combinations (AAC) join the {len(attrs)} training ones as '
                'proxies.')
            attrs = torch.cat([attrs, torch.from_numpy(extra)])
        self.set_proxies(attrs)

    def set_proxies(self, attrs: torch.Tensor) -> None:
        """Use ``attrs`` ``(P, A)`` as the proxies, as they are (their
        image counts are unknown until set)."""
        self.proxy_counts = None
        self.train_attrs = attrs.long().to(self.train_attrs.device)
        self._train_index = {
            row.numpy().astype(np.int8).tobytes(): i
            for i, row in enumerate(self.train_attrs.cpu())
        }

    def get_extra_state(self) -> torch.Tensor:
        """The schema and the proxies, saved in the state dict (packed by
        :func:`pack_state`)."""
        state = dict(schema=self.schema, proxies=self.train_attrs.cpu())
        if self.proxy_counts is not None:
            state['proxy_counts'] = [int(c) for c in self.proxy_counts]
        return pack_state(state)

    def set_extra_state(self, state) -> None:
        state = unpack_state(state)
        if state.get('schema') is not None:
            require_attributes(state['schema'], self.num_attributes,
                               f'{type(self).__name__} (checkpoint)')
            self.schema = dict(state['schema'])
            self.on_schema()
        proxies = state.get('proxies')
        if proxies is not None and len(proxies):
            self.set_proxies(self.check_attrs(proxies, 'Stored proxies'))
        counts = state.get('proxy_counts')
        if counts is not None:
            if proxies is None or len(counts) != len(proxies):
                raise ValueError(
                    f'Corrupt extra state: {len(counts)} proxy counts for '
                    f'{0 if proxies is None else len(proxies)} proxies.')
            self.proxy_counts = np.asarray(counts, dtype=np.int64)

    def check_attrs(self, attrs, what: str = 'Query attribute vectors'
                    ) -> torch.Tensor:
        """``attrs`` as a ``(N, num_attributes)`` long tensor of 0/1.

        The values are checked as given, before any cast (0.5 is an error,
        not a 0). An all-zero row is a valid query: a person with none of
        the attributes (every attribute asked to be absent)."""
        if isinstance(attrs, torch.Tensor):
            raw = attrs.detach().cpu().numpy()
        else:
            raw = np.asarray(attrs)
        if raw.ndim != 2 or raw.shape[1] != self.num_attributes:
            raise ValueError(f'{what} must be (N, {self.num_attributes}), '
                             f'got {tuple(raw.shape)}.')
        if raw.shape[0] == 0:
            raise ValueError(f'{what}: no queries (an array of shape '
                             f'{tuple(raw.shape)}).')
        bad = ~np.isin(raw, (0, 1))
        if bad.any():
            row, col = np.argwhere(bad)[0]
            name = (self.schema or {}).get('attributes')
            name = name[col] if name and col < len(name) else f'column {col}'
            raise ValueError(
                f'{what} must be 0/1 vectors; row {row}, {name}: '
                f'{raw[row, col].item()!r} ({int(bad.sum())} invalid '
                'values).')
        return torch.as_tensor(raw.astype(np.int64))

    def known_combinations(self, attrs) -> np.ndarray:
        """Which rows of ``attrs`` ``(N, A)`` are among the proxies."""
        return np.array([
            row.astype(np.int8).tobytes() in self._train_index
            for row in np.asarray(attrs)
        ], dtype=bool)

    def targets(self, data_samples: List[DataSample]) -> torch.Tensor:
        """Index of each sample's attribute vector among the proxies."""
        if not self._train_index:
            raise RuntimeError(
                f'{type(self).__name__} has no training combinations: '
                f'{HOW_TO_SET}.')
        targets = []
        for sample in data_samples:
            key = sample.gt_score.cpu().numpy().astype(np.int8).tobytes()
            if key not in self._train_index:
                raise ValueError(
                    f'A training image ({sample.get("img_path", "?")}) has '
                    'an attribute vector that is not among the training '
                    'combinations; were they set from another dataset?')
            targets.append(self._train_index[key])
        return torch.tensor(targets, device=self.train_attrs.device)

    def sample_proxies(self, targets: torch.Tensor):
        """The proxies of one iteration and the targets re-indexed into
        them: all proxies, or with ``num_negatives`` the batch's positives
        plus a random sample of the others."""
        proxies = torch.arange(len(self.train_attrs), device=targets.device)
        if not self.num_negatives or self.num_negatives >= len(proxies):
            return proxies, targets
        positives = torch.unique(targets)
        others = proxies[~torch.isin(proxies, positives)]
        others = others[torch.randperm(
            len(others), device=others.device)[:max(
                self.num_negatives - len(positives), 0)]]
        proxies = torch.cat([positives, others])
        remap = torch.full((len(self.train_attrs), ), -1,
                           dtype=torch.long, device=targets.device)
        remap[proxies] = torch.arange(len(proxies), device=targets.device)
        return proxies, remap[targets]

    # -- BaseModel -------------------------------------------------------
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor',
                **kwargs):
        """``embed_images``, ``loss`` or ``predict``; ``kwargs`` (e.g. the
        ``is_feature`` flag of cached-feature batches) go to them."""
        if mode == 'tensor':
            return self.embed_images(inputs, **kwargs)
        if mode == 'loss':
            return self.loss(inputs, data_samples, **kwargs)
        if mode == 'predict':
            return self.predict(inputs, data_samples, **kwargs)
        raise RuntimeError(f'Invalid mode "{mode}".')
