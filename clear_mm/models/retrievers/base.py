from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from clear_mm.datasets.attribute_combinations import additional_combinations


class BaseAttributeRetriever(BaseModel):
    """What every model trained with attribute combinations as proxies
    shares (:class:`AttributeRetriever`,
    :class:`MultiTaskAttributeTransformer`):
    the bound dataset (attribute names, groups), the proxies (the training
    split's distinct 0/1 vectors, plus AAC ones with ``extra_combinations``),
    the target proxy of each training image and an optional regularizer of
    the proxies' embeddings (``ASMRLoss``). :class:`RetrievalDatasetHook`
    calls :meth:`bind_dataset` and :meth:`set_train_combinations`.

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
            groups and exclusion rules come from the bound dataset.
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
        self._attributes: Optional[List[str]] = None
        self._groups: Optional[Dict[str, List[str]]] = None
        self._dataset_type: Optional[str] = None
        self.register_buffer(
            'train_attrs', torch.zeros(0, num_attributes, dtype=torch.long),
            persistent=False)
        self._train_index: Dict[bytes, int] = {}

    # -- dataset and proxies --------------------------------------------
    def bind_dataset(self,
                     attributes: Sequence[str],
                     dataset_type: Optional[str] = None,
                     groups: Optional[Dict[str, List[str]]] = None) -> None:
        """Attribute names, dataset name and attribute groups of the data
        the model runs on."""
        if len(attributes) != self.num_attributes:
            raise ValueError(
                f'{type(self).__name__} was built for {self.num_attributes} '
                f'attributes, the dataset has {len(attributes)}.')
        self._attributes = list(attributes)
        self._groups, self._dataset_type = groups, dataset_type
        if groups is not None and hasattr(self.regularizer, 'set_groups'):
            self.regularizer.set_groups(attributes, groups)

    def set_train_combinations(self, attrs) -> None:
        """The proxies: every distinct attribute vector of the training
        split ``(P, num_attributes)``, plus AAC vectors if configured."""
        attrs = self.check_attrs(attrs, 'Training combinations')
        attrs = torch.unique(attrs, dim=0)
        if self.extra_combinations is not None:
            if self._attributes is None or self._groups is None:
                raise RuntimeError(
                    'extra_combinations needs the dataset\'s attribute groups:'
                    ' call bind_dataset(attributes, dataset_type, groups) '
                    'first (RetrievalDatasetHook does).')
            extra = additional_combinations(
                attrs.numpy(), self._attributes, self._groups,
                dataset=self._dataset_type, **self.extra_combinations)
            MMLogger.get_current_instance().info(
                f'{type(self).__name__}: {len(extra)} additional plausible '
                f'combinations (AAC) join the {len(attrs)} training ones as '
                'proxies.')
            attrs = torch.cat([attrs, torch.from_numpy(extra)])
        self.train_attrs = attrs.to(self.train_attrs.device)
        self._train_index = {
            row.numpy().astype(np.int8).tobytes(): i
            for i, row in enumerate(attrs)
        }

    def check_attrs(self, attrs, what: str = 'Query attribute vectors'
                    ) -> torch.Tensor:
        """``attrs`` as a ``(N, num_attributes)`` long tensor of 0/1."""
        attrs = torch.as_tensor(np.asarray(attrs), dtype=torch.long)
        if attrs.dim() != 2 or attrs.shape[1] != self.num_attributes:
            raise ValueError(f'{what} must be (N, {self.num_attributes}), '
                             f'got {tuple(attrs.shape)}.')
        if not ((attrs == 0) | (attrs == 1)).all():
            raise ValueError(f'{what} must be 0/1 vectors.')
        return attrs

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
                f'{type(self).__name__} has no training combinations: add '
                'RetrievalDatasetHook to custom_hooks (or call '
                'set_train_combinations).')
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
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.embed_images(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')
