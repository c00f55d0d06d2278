from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from clear_mm.registry import MODELS
from clear_mm.structures.descriptions import PseudoDescriptionBuilder
from clear_mm.utils.checkpoint import load_model_weights
from ..utils import with_defaults
from ..utils.dataset_meta import HOW_TO_SET, merged_table
from .adapters import RetrievalAdapter
from .base import BaseAttributeRetriever

# Query forms of CLEAR's Table 6: hard binary attributes (HA), the soft
# pseudo-description (SP) and the attribute words (W).
QUERY_FORMS = ('hard', 'soft', 'words')
FORM_NAMES = dict(hard='HA', soft='SP', words='W')


@MODELS.register_module()
class AttributeRetriever(BaseAttributeRetriever):
    """CLEAR's attribute-based person retrieval (Sec. 3.3, Eq. 7-10).

    A frozen recognition model f_par (any mmpretrain classifier; CLEAR's
    cross-transformers) gives the fused feature before its PAR classifier
    (the neck output, ``concat(M^s, M^v)``). Three adapters are trained:

    - f_vis on that feature -> E^v, ``embed_dims * len(query_forms)`` wide;
    - f_attr on the hard query (the 0/1 attribute vector) -> E^h;
    - f_text on the soft query (the pseudo-description's flattened
      language-model states, :class:`LanguageModelEncoder`) -> E^s;
      for the W ablation the same on the attribute words.

    E^v is split into one ``embed_dims`` part per query form, in
    ``query_forms`` order (for HA+SP, E^v = [E^v_h ; E^v_s], see
    docs/method_notes.md, "Retrieval"); each
    part is aligned with its query embedding by ``loss`` (L_MA, Eq. 8), with
    every attribute combination of the training split as a proxy. Eq. (10):
    L_total = sum of ``loss_weights`` x L_MA (0.3 hard + 0.7 soft). At
    inference a query's embedding is the concatenation of its forms'
    embeddings, compared with E^v by cosine similarity.

    Before training, :class:`DatasetMetaHook` gives the model its dataset
    (schema and training combinations, see :meth:`set_dataset_meta`); the
    feature cache
    (:class:`RetrievalFeatureCacheHook`) can feed it precomputed f_par
    features instead of images.

    Args:
        par_model (dict | str): Config of the recognition model, or the path
            of a config file whose ``model`` it is.
        par_checkpoint (str, optional): Recognition checkpoint loaded into
            f_par by ``init_weights`` (i.e. when training starts). Test runs
            load the retriever's own checkpoint, which holds f_par too.
        query_forms (Sequence[str]): Any of 'hard' (HA), 'soft' (SP),
            'words' (W). Defaults to ('hard', 'soft') (HA+SP, the paper's).
        embed_dims (int): dim_query, the size of each query form's
            embedding (Table 7: 64/128/256). Defaults to 128.
        hidden_channels (int | Sequence[int]): Hidden widths of the
            adapters. Defaults to 512.
        text_input_norm (bool): Standardise the language-model states at
            the input of f_text (see :class:`RetrievalAdapter`'s
            ``input_norm``; not in the paper). Defaults to True.
        vis_in_channels (int, optional): Size of f_par's feature; defaults
            to ``par_model.head.in_channels``.
        num_attributes (int, optional): Defaults to
            ``par_model.head.num_classes``.
        language_model (dict, optional): :class:`LanguageModelEncoder`
            config; needed by the 'soft' and 'words' forms.
        text_channels (int, optional): Size of the language model's output
            (N_w x dim_w); read from the model's config when not given.
        description (dict, optional): ``table``: description entries
            (``{attribute: (slot, phrase, negative phrase)}``) used on top
            of the dataset's ``metainfo['descriptions']``, e.g. for a
            dataset that declares none.
        loss (dict): Defaults to ``AngularMarginLoss`` (sigma 12, gamma 0.2).
        loss_weights (dict, optional): Weight of each form's L_MA. Defaults
            to hard 0.3 / soft 0.7 for HA+SP (beta_1, beta_2), 1 for a single
            form, equal weights otherwise.
        num_negatives (int, optional): Sample this many proxies per
            iteration (the batch's positives always included) instead of
            using all training combinations. Defaults to None (all).
        regularizer (dict, optional): A loss on the hard-query embeddings
            of all training combinations, e.g. ``ASMRLoss`` (the ASMR
            baseline); needs the 'hard' form. Defaults to None.
        extra_combinations (dict, optional): Add AAC proxies (paper 004):
            kwargs of :func:`additional_combinations` (``num``, ``seed``,
            ``rules``); the dataset's groups and exclusion rules come from
            the bound dataset. Defaults to None (training combinations only).
        freeze_par (bool): Keep f_par frozen (CLEAR). ``False`` trains it
            end to end with the adapters (ASMR with a ResNet-50), which
            rules out the feature cache. Defaults to True.
        data_preprocessor (dict, optional): Defaults to
            ``RetrievalDataPreprocessor`` with the config's mean/std.
    """

    def __init__(self,
                 par_model: Union[dict, str],
                 par_checkpoint: Optional[str] = None,
                 query_forms: Sequence[str] = ('hard', 'soft'),
                 embed_dims: int = 128,
                 hidden_channels: Union[int, Sequence[int]] = 512,
                 text_input_norm: bool = True,
                 vis_in_channels: Optional[int] = None,
                 num_attributes: Optional[int] = None,
                 language_model: Optional[dict] = None,
                 text_channels: Optional[int] = None,
                 description: Optional[dict] = None,
                 loss: dict = dict(type='AngularMarginLoss'),
                 loss_weights: Optional[Dict[str, float]] = None,
                 num_negatives: Optional[int] = None,
                 regularizer: Optional[dict] = None,
                 extra_combinations: Optional[dict] = None,
                 freeze_par: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = with_defaults(
            data_preprocessor, type='RetrievalDataPreprocessor')
        if isinstance(par_model, str):
            par_model = Config.fromfile(par_model).model
        par_model = dict(par_model)
        head = par_model.get('head') or {}
        vis_in_channels = vis_in_channels or head.get('in_channels')
        num_attributes = num_attributes or head.get('num_classes')
        if vis_in_channels is None or num_attributes is None:
            raise ValueError(
                'AttributeRetriever: set vis_in_channels and num_attributes '
                '(the recognition model config has no head to read them '
                'from).')
        if regularizer is not None and 'hard' not in query_forms:
            raise ValueError('`regularizer` acts on the hard-query '
                             "embeddings: add 'hard' to query_forms.")
        super().__init__(
            num_attributes,
            num_negatives=num_negatives,
            regularizer=regularizer,
            extra_combinations=extra_combinations,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        query_forms = tuple(query_forms)
        bad = [f for f in query_forms if f not in QUERY_FORMS]
        if not query_forms or bad or len(set(query_forms)) != len(
                query_forms):
            raise ValueError(f'query_forms must be distinct values of '
                             f'{QUERY_FORMS}, got {query_forms}.')
        self.query_forms = query_forms
        self.embed_dims = embed_dims
        self.par_checkpoint = par_checkpoint

        # f_par, frozen unless freeze_par=False.
        self.freeze_par = freeze_par
        self.par_model = MODELS.build(par_model)
        if freeze_par:
            self.par_model.requires_grad_(False)

        self.language_model = None
        needs_text = any(f in ('soft', 'words') for f in query_forms)
        if needs_text:
            if language_model is None:
                raise ValueError(
                    f'Query forms {query_forms} need `language_model` (a '
                    'LanguageModelEncoder config).')
            # A plain object (not an nn.Module): the language model's
            # weights stay out of the state dict and checkpoints.
            self.language_model = MODELS.build(language_model)
            if text_channels is None:
                text_channels = self._language_model_channels()
        self.description_cfg = dict(description or {})
        unknown = set(self.description_cfg) - {'table'}
        if unknown:
            raise ValueError(
                f'description: unknown keys {sorted(unknown)}; the only key '
                "is 'table' (the dataset's own table comes from its "
                "metainfo['descriptions']).")
        self.builder: Optional[PseudoDescriptionBuilder] = None

        self.vis_adapter = RetrievalAdapter(
            vis_in_channels, embed_dims * len(query_forms), hidden_channels)
        in_channels = dict(
            hard=num_attributes, soft=text_channels, words=text_channels)
        self.query_adapters = nn.ModuleDict({
            form: RetrievalAdapter(
                in_channels[form],
                embed_dims,
                hidden_channels,
                input_norm=text_input_norm and form != 'hard')
            for form in query_forms
        })
        self.loss_module = MODELS.build(loss)
        if loss_weights is None:
            if set(query_forms) == {'hard', 'soft'}:
                loss_weights = dict(hard=0.3, soft=0.7)
            else:
                loss_weights = {f: 1.0 / len(query_forms)
                                for f in query_forms}
        missing = [f for f in query_forms if f not in loss_weights]
        if missing:
            raise ValueError(f'loss_weights has no weight for {missing}.')
        self.loss_weights = {f: float(loss_weights[f]) for f in query_forms}
        self._train_inputs: Dict[str, torch.Tensor] = {}

    # -- setup ---------------------------------------------------------
    def _language_model_channels(self) -> int:
        from transformers import AutoConfig

        from clear_mm.models.language import resolve_model_path
        lm = self.language_model
        try:
            config = AutoConfig.from_pretrained(
                resolve_model_path(lm.name_or_path),
                local_files_only=lm.local_files_only)
        except (OSError, ValueError) as e:
            raise OSError(
                f'Could not read the config of language model '
                f'{lm.name_or_path!r} offline ({e}). Point '
                'language_model.name_or_path at a local model folder, or set '
                'text_channels = N_w x hidden size.') from e
        dim = getattr(config, 'hidden_size', None) or getattr(
            config, 'n_embd')
        return lm.num_tokens * dim

    def init_weights(self) -> None:
        if self.par_checkpoint:
            # f_par comes from its checkpoint: its own initialisation
            # (e.g. ImageNet weights) would only be overwritten
            self.par_model._is_init = True
        super().init_weights()
        if self.par_checkpoint:
            self._load_par_checkpoint(self.par_checkpoint)
        else:
            MMLogger.get_current_instance().warning(
                'AttributeRetriever: no par_checkpoint, f_par keeps its '
                'initial weights. Set model.par_checkpoint to a recognition '
                'checkpoint.')

    def _load_par_checkpoint(self, path: str) -> None:
        """Load f_par's weights; a checkpoint that does not fit the
        recognition model is an error naming the first mismatching keys."""
        try:
            load_model_weights(self.par_model, path,
                               'the recognition model (par_model)')
        except ValueError as e:
            raise ValueError(
                f'par_checkpoint {e} It must be the checkpoint of the '
                'recognition config this retriever is built on (e.g. '
                'par_synthetic.py for ret_synthetic.py).') from None
        MMLogger.get_current_instance().info(
            f'AttributeRetriever: f_par loaded from {path}.')

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_par:
            self.par_model.eval()  # frozen: no dropout, fixed norms
        return self

    def on_schema(self) -> None:
        """The pseudo-description builder of the dataset's attributes, from
        its ``descriptions`` (with ``description=dict(table=...)`` on top);
        only the soft and word query forms need it."""
        super().on_schema()
        self.builder = None
        if self.language_model is None:
            return
        self.builder = PseudoDescriptionBuilder(
            self.schema['attributes'],
            merged_table(self.schema, self.description_cfg.get('table')))

    def set_proxies(self, attrs: torch.Tensor) -> None:
        super().set_proxies(attrs)
        self._train_inputs = {}  # the proxies' query inputs, recomputed

    # -- queries -------------------------------------------------------
    def query_inputs(self, form: str, attrs: torch.Tensor) -> torch.Tensor:
        """Input of one form's adapter for attribute vectors ``(Q, A)``: the
        vectors themselves (hard) or the language model's states of their
        pseudo-descriptions (soft) / attribute words (words)."""
        device = self.train_attrs.device
        if form == 'hard':
            return attrs.to(device).float()
        if self.builder is None:
            raise RuntimeError(
                'AttributeRetriever has no dataset schema for its text '
                f'queries: {HOW_TO_SET}.')
        vectors = attrs.cpu().numpy()
        for v in vectors:
            self.builder.check_vector(v)
        sentences = self.builder.batch(
            vectors, 'sentence' if form == 'soft' else 'words')
        return self.language_model.encode(sentences).to(device)

    @torch.no_grad()
    def encode_queries(self, attrs) -> torch.Tensor:
        """Query embeddings ``(Q, embed_dims * len(query_forms))``: the
        concatenation of each form's adapter output (E^h, E^s), in
        ``query_forms`` order, for 0/1 attribute vectors ``(Q, A)``."""
        attrs = self.check_attrs(attrs)
        return torch.cat([
            self.query_adapters[form](self.query_inputs(form, attrs))
            for form in self.query_forms
        ], dim=1)

    def query_graph(self, attributes: torch.Tensor,
                    *text_states: torch.Tensor) -> torch.Tensor:
        """:meth:`encode_queries` from the vectors and, for the text forms,
        the language model's states (in :attr:`text_query_forms` order)."""
        states = iter(text_states)
        return torch.cat([
            self.query_adapters[form](
                attributes if form == 'hard' else next(states))
            for form in self.query_forms
        ], dim=1)

    @property
    def text_query_forms(self):
        return [form for form in self.query_forms if form != 'hard']

    @property
    def score_scale(self) -> float:
        return float(getattr(self.loss_module, 'scale', 12.0))

    # -- attribute scores ----------------------------------------------
    @property
    def predicts_attribute_scores(self) -> bool:
        """With f_par frozen (CLEAR), its recognition head gives the
        attribute scores; a visual model trained for retrieval (ASMR end to
        end) has no trained head."""
        from mmpretrain.models import ImageClassifier
        return (self.freeze_par and isinstance(self.par_model, ImageClassifier)
                and self.par_model.with_head)

    recognition_graph_exportable = predicts_attribute_scores

    def attribute_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """f_par's attribute logits ``(B, A)``."""
        return self.par_model(inputs, mode='tensor')

    # -- images --------------------------------------------------------
    def extract_vis(self, inputs: torch.Tensor) -> torch.Tensor:
        """f_par's fused feature ``(B, C)`` of images ``(B, 3, H, W)``."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_par):
            return self._pooled(self.par_model.extract_feat(inputs))

    @staticmethod
    def _pooled(feat) -> torch.Tensor:
        feat = feat[-1] if isinstance(feat, (tuple, list)) else feat
        if feat.dim() > 2:  # a backbone without neck: average pool
            feat = feat.flatten(2).mean(dim=2)
        return feat

    def embed_images(self,
                     inputs: torch.Tensor,
                     is_feature: bool = False) -> torch.Tensor:
        """E^v = f_vis(f_par(I)), ``(B, embed_dims * len(query_forms))``;
        with ``is_feature`` the inputs are f_par's features already (the
        feature cache)."""
        if is_feature:
            if inputs.dim() != 2:
                raise ValueError(
                    'Cached features must be (B, C), got '
                    f'{tuple(inputs.shape)}.')
            return self.vis_adapter(inputs)
        return self.vis_adapter(self.extract_vis(inputs))

    def image_graph(self, inputs: torch.Tensor
                    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """E^v and f_par's attribute logits from the same features (as
        :meth:`predict`)."""
        if not self.recognition_graph_exportable:
            return self.embed_images(inputs), None
        feat = self.par_model.extract_feat(inputs)
        return self.vis_adapter(self._pooled(feat)), self.par_model.head(feat)

    # -- training ------------------------------------------------------
    def _proxy_inputs(self, form: str) -> torch.Tensor:
        if form not in self._train_inputs:
            self._train_inputs[form] = self.query_inputs(
                form, self.train_attrs)
        return self._train_inputs[form]

    def loss(self,
             inputs: torch.Tensor,
             data_samples: List[DataSample],
             is_feature: bool = False) -> Dict[str, torch.Tensor]:
        """Eq. (10): weighted L_MA between each part of E^v and the
        embeddings of all training combinations in that query form."""
        proxies, targets = self.sample_proxies(self.targets(data_samples))
        parts = self.embed_images(inputs, is_feature).split(
            self.embed_dims, dim=1)
        losses = {}
        for form, part in zip(self.query_forms, parts):
            inputs = self._proxy_inputs(form)[proxies]
            query = self.query_adapters[form](inputs)
            losses[f'loss_{form}'] = self.loss_weights[form] * \
                self.loss_module(part, query, targets)
            if form == 'hard' and self.regularizer is not None:
                losses['loss_reg'] = self.regularizer(
                    query, self.train_attrs[proxies])
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                is_feature: bool = False) -> List[DataSample]:
        """Each sample gets ``pred_embedding`` (E^v of its image) and, from
        images with f_par frozen (its head trained for recognition), the
        attribute scores of f_par (``pred_score``, ``pred_label``) from the
        same features."""
        head = getattr(self.par_model, 'head', None)
        if is_feature or not self.freeze_par or head is None:
            embeddings, scores = self.embed_images(inputs, is_feature), None
        else:
            feat = self.par_model.extract_feat(inputs)
            embeddings = self.vis_adapter(self._pooled(feat))
            scores = torch.sigmoid(head(feat))
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(embeddings))]
        for i, (sample, emb) in enumerate(zip(data_samples, embeddings)):
            sample.set_field(emb.detach(), 'pred_embedding')
            if scores is not None:
                sample.set_pred_score(scores[i]).set_pred_label(
                    torch.where(scores[i] > head.thr)[0])
        return data_samples
