from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from clear_mm.registry import MODELS
from ..utils import with_defaults
from ..utils.dataset_meta import set_classifier_meta
from .adapters import RetrievalAdapter
from .base import BaseAttributeRetriever

FEEDBACK_TASKS = ('ma', 'par')


def mean_pairwise_cosine(embeddings: torch.Tensor) -> torch.Tensor:
    """Mean cosine similarity over the distinct pairs of ``(B, D)``
    embeddings: near 1 when every image points the same way (a collapsed
    embedding), near 0 for spread-out ones. 0 for fewer than 2 rows."""
    num = embeddings.shape[0]
    if num < 2:
        return embeddings.new_zeros(())
    unit = F.normalize(embeddings.float(), dim=1)
    total = unit.sum(dim=0)
    # sum over all ordered pairs i != j of <u_i, u_j> = |sum u|^2 - B
    return (total.dot(total) - num) / (num * (num - 1))


@MODELS.register_module()
class MultiTaskAttributeTransformer(BaseAttributeRetriever):
    """Paper 004's multi-task transformer: PAR and attribute-based retrieval
    from one model.

    - ``backbone`` (any registered backbone; ResNet-50 or PVTv2-b2 in the
      paper) gives a feature map;
    - ``transformer`` (:class:`AttributeTokenTransformer`) turns it into
      visual tokens and N attribute tokens;
    - ``head`` (:class:`AttributeTokenHead`) classifies each attribute from
      its token (L_PAR, weighted BCE);
    - GAP over the visual tokens -> (BNNeck, ours) -> one FC -> the
      ``embed_dims`` (128) image embedding, aligned (``ma_loss``, the MA
      loss of ASMR/CLEAR) with the attribute encoder's embedding of the
      image's 0/1 vector (N -> 512 -> 128 -> 128, Table 3.2), every
      training combination (plus AAC ones with ``extra_combinations``) a
      proxy; ``regularizer``
      (``ASMRLoss``) on the proxies' embeddings.

    L_total = L_PAR + lambda_MA L_MA + lambda_ASMR L_ASMR (Eq. 3.2), with
    lambda_MA = ``ma_weight`` and lambda_ASMR the regularizer's
    ``loss_weight``.

    Feedback (paper 004, "Further Improvements"; the formula is ours): with
    ``feedback=dict(tasks=('par', ), strength=s)`` the PAR loss of sample i
    is weighted by ``w_i = (1 - s) + s * l_i / mean(l)``, l the (detached)
    per-sample MA loss of the batch -- samples the other task finds hard
    count more, and the weights average 1. ``'ma'`` weights the MA loss by
    the per-sample PAR loss (BCE summed over the attributes); both may be
    given (Table 4.3: "Feedback MA", "Feedback PAR", "MA&PAR").

    ``predict`` gives each sample ``pred_score``/``pred_label`` (for
    ``PARMetric``) and ``pred_embedding`` (for ``AttrRetrievalMetric``,
    ``FusedRetrievalMetric(par_weight=0.2)``: the paper's fused
    distance).

    Args:
        backbone (dict): Backbone config.
        transformer (dict): :class:`AttributeTokenTransformer` config;
            ``num_attributes`` defaults to ``head.num_classes``.
        head (dict): :class:`AttributeTokenHead` config.
        embed_dims (int): Joint embedding size. Defaults to 128.
        embedding_source (str): What the FC to the image embedding reads:
            'visual' (the paper: GAP over the visual token states) or
            'attribute' (ours: the concatenated attribute token states,
            N x d, which PAR trains to hold each attribute). Defaults to
            'visual'.
        encoder_channels (Sequence[int]): Hidden widths of the attribute
            encoder. Defaults to (512, 128).
        bnneck (bool): Standardise the FC's input with a ``BatchNorm1d``
            (a BNNeck, as re-identification models put before their
            embedding layer: learnable scale, bias frozen at 0). Not in
            paper 004. The pooled, LayerNorm'd token states share a large
            image-independent offset (per-dimension std 0.14 against a mean
            magnitude of 0.71 on the synthetic set), so a bare FC followed
            by a cosine loss points every image the same way and the MA
            loss stalls at log(P); docs/method_notes.md, "Multi-task
            transformer". False is the paper-literal FC. Defaults to True.
        ma_loss (dict): Defaults to ``AngularMarginLoss`` (12, 0.2).
        ma_weight (float): lambda_MA. Defaults to 1.
        regularizer (dict, optional): e.g. ``ASMRLoss``. Defaults to None.
        extra_combinations (dict, optional): AAC, see
            :class:`BaseAttributeRetriever`.
        feedback (dict, optional): ``tasks`` (subset of ('ma', 'par'): the
            losses that get weighted) and ``strength`` (s in [0, 1],
            default 0.5). Defaults to None (no feedback).
        num_negatives (int, optional): See :class:`BaseAttributeRetriever`.
        data_preprocessor (dict, optional): Defaults to
            ``ClsDataPreprocessor``.
    """

    def __init__(self,
                 backbone: dict,
                 transformer: dict,
                 head: dict,
                 embed_dims: int = 128,
                 embedding_source: str = 'visual',
                 encoder_channels: Sequence[int] = (512, 128),
                 bnneck: bool = True,
                 ma_loss: dict = dict(type='AngularMarginLoss'),
                 ma_weight: float = 1.0,
                 regularizer: Optional[dict] = None,
                 extra_combinations: Optional[dict] = None,
                 feedback: Optional[dict] = None,
                 num_negatives: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = with_defaults(
            data_preprocessor, type=ClsDataPreprocessor)
        num_attributes = head['num_classes']
        super().__init__(
            num_attributes,
            num_negatives=num_negatives,
            regularizer=regularizer,
            extra_combinations=extra_combinations,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        transformer = dict(transformer)
        transformer.setdefault('num_attributes', num_attributes)
        if transformer['num_attributes'] != num_attributes:
            raise ValueError(
                f"transformer.num_attributes ({transformer['num_attributes']}"
                f') differs from head.num_classes ({num_attributes}).')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(transformer)
        self.head = MODELS.build(head)
        token_dims = self.neck.embed_dims
        self.embed_dims = embed_dims
        if embedding_source not in ('visual', 'attribute'):
            raise ValueError("embedding_source: 'visual' or 'attribute', "
                             f'got {embedding_source!r}.')
        self.embedding_source = embedding_source
        fc_in = token_dims * (
            num_attributes if embedding_source == 'attribute' else 1)
        self.image_neck = nn.Identity()
        if bnneck:
            self.image_neck = nn.BatchNorm1d(fc_in)
            self.image_neck.bias.requires_grad_(False)
        self.image_fc = nn.Linear(fc_in, embed_dims)
        self.attr_encoder = RetrievalAdapter(num_attributes, embed_dims,
                                             tuple(encoder_channels))
        self.ma_loss = MODELS.build(ma_loss)
        self.ma_weight = ma_weight
        self.feedback_tasks, self.feedback_strength = (), 0.0
        if feedback is not None:
            feedback = dict(feedback)
            tasks = tuple(feedback.pop('tasks', ()))
            strength = float(feedback.pop('strength', 0.5))
            if feedback:
                raise ValueError(f'Unknown feedback keys {list(feedback)}; '
                                 "expected 'tasks' and 'strength'.")
            if not tasks or any(t not in FEEDBACK_TASKS for t in tasks):
                raise ValueError(f'feedback.tasks: values of '
                                 f'{FEEDBACK_TASKS}, got {tasks}.')
            if not 0 <= strength <= 1:
                raise ValueError(
                    f'feedback.strength must be in [0, 1], got {strength}.')
            self.feedback_tasks, self.feedback_strength = tasks, strength

    def set_dataset_meta(self, meta: dict) -> None:
        """See :meth:`BaseAttributeRetriever.set_dataset_meta`; the head
        must predict the dataset's attributes and its weighted BCE gets the
        training split's positive ratios."""
        super().set_dataset_meta(meta)
        set_classifier_meta(
            self, meta, 'train' if 'train_labels' in meta else 'evaluation')

    # -- features -------------------------------------------------------
    def extract_feat(self, inputs: torch.Tensor):
        """(visual token states, attribute token states)."""
        return self.neck(self.backbone(inputs))

    def image_embedding(self, visual_tokens: torch.Tensor,
                        attr_tokens: torch.Tensor) -> torch.Tensor:
        """FC of the pooled visual tokens (or of the attribute tokens,
        see ``embedding_source``)."""
        if self.embedding_source == 'attribute':
            pooled = attr_tokens.flatten(1)
        else:
            pooled = visual_tokens.mean(dim=1)
        return self.image_fc(self.image_neck(pooled))

    def embed_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ``(B, embed_dims)`` image embeddings."""
        return self.image_embedding(*self.extract_feat(inputs))

    predicts_attribute_scores = True
    recognition_graph_exportable = True

    @property
    def score_scale(self) -> float:
        return float(getattr(self.ma_loss, 'scale', 12.0))

    def attribute_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The attribute tokens' logits ``(B, A)``."""
        return self.head(self.extract_feat(inputs))

    def image_graph(self, inputs: torch.Tensor
                    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The image embedding and the attribute tokens' logits from one
        pass of the backbone."""
        feats = self.extract_feat(inputs)
        return self.image_embedding(*feats), self.head(feats)

    def query_graph(self, attributes: torch.Tensor,
                    *text_states: torch.Tensor) -> torch.Tensor:
        return self.attr_encoder(attributes)

    @torch.no_grad()
    def encode_queries(self, attrs) -> torch.Tensor:
        """Attribute-encoder embeddings ``(Q, embed_dims)`` of 0/1 vectors."""
        attrs = self.check_attrs(attrs)
        return self.attr_encoder(attrs.to(self.train_attrs.device).float())

    # -- training -------------------------------------------------------
    def feedback_weights(self, other_loss: torch.Tensor) -> torch.Tensor:
        """``(1 - s) + s * l / mean(l)`` of the other task's detached
        per-sample losses ``l``; all ones when they are all zero."""
        other_loss = other_loss.detach()
        mean = other_loss.mean()
        if mean <= 0:
            return torch.ones_like(other_loss)
        s = self.feedback_strength
        return (1 - s) + s * other_loss / mean

    def _par_sample_losses(self, cls_score: torch.Tensor,
                           data_samples: List[DataSample]) -> torch.Tensor:
        target = torch.stack([ds.gt_score.float() for ds in data_samples])
        loss = F.binary_cross_entropy_with_logits(
            cls_score.detach(), target.to(cls_score.device),
            reduction='none')
        weight = self.head.label_weights(data_samples, cls_score.device)
        if weight is not None:
            loss = loss * weight
        return loss.sum(dim=1)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        visual, attr_tokens = self.extract_feat(inputs)
        cls_score = self.head(attr_tokens)
        proxies, targets = self.sample_proxies(self.targets(data_samples))
        proxy_attrs = self.train_attrs[proxies]
        proxy_emb = self.attr_encoder(proxy_attrs.float())
        image_emb = self.image_embedding(visual, attr_tokens)
        ma = self.ma_loss(
            image_emb, proxy_emb, targets, reduction_override='none')

        par_weight = ma_weight = None
        if 'par' in self.feedback_tasks:
            par_weight = self.feedback_weights(ma)
        if 'ma' in self.feedback_tasks:
            ma_weight = self.feedback_weights(
                self._par_sample_losses(cls_score, data_samples))

        losses = self.head._get_loss(
            cls_score, data_samples, sample_weight=par_weight)
        losses = dict(loss_par=losses['loss'])
        if ma_weight is not None:
            ma = ma * ma_weight
        losses['loss_ma'] = self.ma_weight * ma.mean()
        if self.regularizer is not None:
            losses['loss_reg'] = self.regularizer(proxy_emb, proxy_attrs)
        # logged, not optimised (no 'loss' in the name): the collapse
        # detector of EmbeddingCollapseHook
        losses['image_cos'] = mean_pairwise_cosine(image_emb.detach())
        return losses

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """``pred_score``, ``pred_label`` and ``pred_embedding``."""
        visual, attr_tokens = self.extract_feat(inputs)
        data_samples = self.head.predict((visual, attr_tokens), data_samples)
        embeddings = self.image_embedding(visual, attr_tokens)
        for sample, emb in zip(data_samples, embeddings):
            sample.set_field(emb.detach(), 'pred_embedding')
        return data_samples
