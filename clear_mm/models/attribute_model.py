"""The one interface of clear_mm's attribute retrieval models.

The search index, its query scorer, the inferencers, the ONNX export and
the hooks ask a model for these, and only these; a model declares what it
can do here instead of being probed for attributes. CLEAR's and ASMR's
retrievers, the multi-task model, Cerberus and CLIP zero-shot implement
it.
"""
from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Tuple

import numpy as np
import torch


class AttributeModel(metaclass=ABCMeta):
    """An attribute retrieval model: images and 0/1 attribute vectors in one
    embedding space, and the schema of its dataset.

    Declared capabilities (class attributes):

    - ``predicts_attribute_scores``: ``predict`` fills ``pred_score`` with
      attribute scores (an attribute recognition model inside);
    - ``embeds_text``: a free-text query is embedded as its text (CLIP),
      not as the attributes the parser understood;
    - ``query_graph_exportable``: :meth:`query_graph` is a network that
      exports to ONNX (Cerberus' queries are prototype look-ups, CLIP's
      stay in transformers);
    - ``recognition_graph_exportable``: :meth:`attribute_logits` is a
      network that exports (Cerberus and CLIP score attributes by
      prototypes and prompts);
    - ``scores_are_probabilities``: its attribute scores are
      probabilities a search may combine with the embedding's score
      (Cerberus' are decoded 0/1 prototypes).
    """
    predicts_attribute_scores: bool = False
    embeds_text: bool = False
    query_graph_exportable: bool = True
    recognition_graph_exportable: bool = False
    scores_are_probabilities: bool = True

    #: the dataset's schema: attributes, groups, exclusion rules, phrases
    schema: Optional[dict] = None

    @property
    def attributes(self) -> Optional[Sequence[str]]:
        return None if self.schema is None else self.schema['attributes']

    @abstractmethod
    def set_dataset_meta(self, meta: dict) -> None:
        """Bind the dataset's ``metainfo`` (its schema; before training
        also ``train_labels`` and ``person_ids``), as
        :class:`DatasetMetaHook` and the inferencers call it."""

    @abstractmethod
    def encode_queries(self, attrs) -> torch.Tensor:
        """Query embeddings ``(Q, D)`` of 0/1 attribute vectors ``(Q, A)``."""

    @abstractmethod
    def embed_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """Image embeddings ``(B, D)`` of preprocessed images, in the space
        of :meth:`encode_queries` (cosine similarity ranks)."""

    def train_combinations(self) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        """The training split's attribute combinations ``(P, A)`` and the
        number of images of each ``(P, )`` (ones when unknown), for
        partial queries and the seen/unseen split; None when the model
        keeps none."""
        return None

    @property
    def query_columns(self) -> Optional[np.ndarray]:
        """The attribute columns a query is compared on; None: all."""
        return None

    @property
    def score_scale(self) -> float:
        """The scale of the model's cosine logits (its angular margin
        loss'); partial queries aggregate at it."""
        return 12.0

    def encode_partial_query(self, vector: np.ndarray
                             ) -> Optional[Tuple[torch.Tensor, list]]:
        """A model that encodes the specified part of a partial query
        itself (Cerberus: the known attribute groups) returns the
        embedding ``(1, D)`` and those groups (``None`` embedding when no
        group is known); the others return None and partial queries
        aggregate over the training combinations."""
        return None

    def query_graph(self, attributes: torch.Tensor,
                    *text_states: torch.Tensor) -> torch.Tensor:
        """The query encoder as a network of tensors for the export:
        vectors ``(Q, A)`` and, for text query forms, the language
        model's states of their pseudo-descriptions
        (:attr:`text_query_forms`)."""
        raise NotImplementedError(
            f'{type(self).__name__} encodes queries outside a network.')

    def attribute_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Attribute logits ``(B, A)`` of preprocessed images, as a network
        (the recognition graph of the export)."""
        raise NotImplementedError(
            f'{type(self).__name__} has no attribute recognition network.')

    def image_graph(self, inputs: torch.Tensor
                    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Image embeddings ``(B, D)`` and, when
        :attr:`recognition_graph_exportable`, attribute logits ``(B, A)``
        (else None) of preprocessed images in one network: the image graph
        of the export, which the search index embeds with. A model whose
        two outputs share features overrides it to compute them once."""
        logits = self.attribute_logits(inputs) \
            if self.recognition_graph_exportable else None
        return self.embed_images(inputs), logits

    @property
    def text_query_forms(self) -> Sequence[str]:
        """The query forms that read the language model's states."""
        return ()

    @property
    def weights_folder(self) -> Optional[str]:
        """A folder of weights that stands for the checkpoint (CLIP)."""
        return None
