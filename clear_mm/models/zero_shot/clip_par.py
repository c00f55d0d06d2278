import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from clear_mm.registry import MODELS
from ..attribute_model import AttributeModel
from ..utils import with_defaults
from ..utils.dataset_meta import HOW_TO_SET, merged_table, schema_of
from .person_crop import letterbox
from .prompts import attribute_prompts


@MODELS.register_module()
class CLIPZeroShotPAR(BaseModel, AttributeModel):
    """Zero-shot pedestrian attribute recognition with CLIP (paper 002,
    Sec. 6.3): no training; each attribute is scored by the image's
    similarity to text prompts.

    - A binary attribute has a positive and a negative prompt ("a photo of
      a person wearing a hat." / "... not wearing a hat."; see
      :func:`attribute_prompts`); its score is the softmax of CLIP's two
      logits, i.e. P(positive prompt).
    - The attributes of a mutually exclusive group (e.g. the age bins) are
      scored together: the softmax over the group's positive prompts. With
      ``groups='auto'`` these are the dataset's groups whose
      ``metainfo['exclusion_rules']`` say 'one' (exactly one positive).
    - Optionally the largest person is cut out first (``person_crop``, e.g.
      :class:`TorchvisionPersonCrop` with Mask R-CNN weights, as the paper).

    The image is resized to CLIP's input size keeping its aspect ratio
    (padded with the mean colour) and normalised with CLIP's mean/std.
    ``predict`` fills ``pred_score`` and ``pred_label`` (``score > thr``),
    so ``PARMetric`` evaluates it like any PAR model; ``DatasetMetaHook``
    gives the model the dataset's schema before testing
    (:meth:`set_dataset_meta`).

    Args:
        clip (str): A local folder with a transformers ``CLIPModel`` and its
            tokenizer (``save_pretrained`` layout, e.g. a download of
            ``openai/clip-vit-base-patch16``, the paper's ViT-B/16).
        table (dict, optional): Description entries used on top of the
            dataset's ``metainfo['descriptions']`` for the prompt phrases.
        prompts (dict, optional): ``{attribute: (positive, negative)}``
            overriding the table's prompts.
        groups (str | list, optional): 'auto', a list of lists of
            attribute names scored jointly, or None. Defaults to 'auto'.
        person_crop (dict, optional): A person crop module config.
        thr (float): Decision threshold of ``pred_label``. Defaults to 0.5.
        data_preprocessor (dict, optional): Defaults to a
            ``ClsDataPreprocessor`` that only scales to 0-1 RGB.
    """

    def __init__(self,
                 clip: str,
                 table: Optional[dict] = None,
                 prompts: Optional[Dict[str, Sequence[str]]] = None,
                 groups: Union[str, List[List[str]], None] = 'auto',
                 person_crop: Optional[dict] = None,
                 thr: float = 0.5,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        from mmpretrain.models.utils import ClsDataPreprocessor
        data_preprocessor = with_defaults(
            data_preprocessor, type=ClsDataPreprocessor, mean=[0.0] * 3,
            std=[255.0] * 3, to_rgb=True)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        dp = self.data_preprocessor
        if getattr(dp, '_enable_normalize', False) and not (
                torch.allclose(dp.mean.flatten(), torch.zeros(3))
                and torch.allclose(dp.std.flatten(), torch.full((3, ), 255.))):
            raise ValueError(
                'CLIPZeroShotPAR normalises with CLIP\'s own mean/std and '
                'needs 0-1 RGB input: set data_preprocessor=dict(mean=[0, 0, '
                f'0], std=[255, 255, 255], to_rgb=True), got mean '
                f'{dp.mean.flatten().tolist()} and std '
                f'{dp.std.flatten().tolist()} (a dataset base\'s ImageNet '
                'values?).')
        from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

        from clear_mm.utils.checkpoints_root import locate
        clip = locate(clip)
        if not osp.isdir(clip):
            raise FileNotFoundError(
                f'CLIP model folder {clip!r} not found. Nothing is '
                'downloaded at run time: save a transformers CLIPModel and '
                'its tokenizer there (save_pretrained) and set model.clip.')
        self.clip_folder = clip
        self.clip = CLIPModel.from_pretrained(clip).eval()
        self.clip.requires_grad_(False)
        self.tokenizer = AutoTokenizer.from_pretrained(clip)
        self.image_size = self.clip.config.vision_config.image_size
        # the folder's image processor (mean/std); OpenAI CLIP's defaults
        # when the folder has no preprocessor_config.json
        try:
            processor = CLIPImageProcessor.from_pretrained(clip)
        except OSError:
            processor = CLIPImageProcessor()
        mean, std = processor.image_mean, processor.image_std
        self.register_buffer('mean', torch.tensor(mean).view(3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std).view(3, 1, 1),
                             persistent=False)
        self.table, self.prompts = table, prompts
        if not (groups is None or groups == 'auto'
                or isinstance(groups, (list, tuple))):
            raise ValueError("groups: 'auto', a list of attribute-name "
                             f'lists, or None; got {groups!r}.')
        self.groups_cfg = groups
        self.person_crop = None if person_crop is None else MODELS.build(
            person_crop)
        self.thr = thr
        self.schema: Optional[dict] = None
        self.groups: List[List[int]] = []
        self.prompt_pairs: Dict[str, tuple] = {}
        self.register_buffer('text_emb', torch.zeros(0), persistent=False)

    # -- prompts ---------------------------------------------------------
    @torch.no_grad()
    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """L2-normalised CLIP text embeddings ``(T, D)``."""
        tokens = self.tokenizer(
            list(texts), padding=True, truncation=True, return_tensors='pt')
        tokens = {k: v.to(self.mean.device) for k, v in tokens.items()}
        out = self.clip.get_text_features(**tokens)
        out = out if torch.is_tensor(out) else out.pooler_output
        return F.normalize(out.float(), dim=-1)

    def set_dataset_meta(self, meta: dict) -> None:
        """Build and encode the prompts of the dataset's attributes, from
        its ``descriptions`` and, with ``groups='auto'``, score its
        exactly-one groups jointly (``exclusion_rules``)."""
        attributes = meta.get('attributes')
        if attributes is None:
            raise ValueError('CLIPZeroShotPAR.set_dataset_meta: the dataset '
                             "meta has no 'attributes'.")
        attributes = list(attributes)
        self.prompt_pairs = attribute_prompts(
            attributes, merged_table(meta, self.table), prompts=self.prompts)
        attribute_groups = meta.get('attribute_groups') or {}
        index = {a: i for i, a in enumerate(attributes)}
        groups = []
        if self.groups_cfg == 'auto':
            rules = meta.get('exclusion_rules') or {}
            for group, rule in rules.items():
                if rule == 'one' and group in attribute_groups:
                    groups.append(list(attribute_groups[group]))
        elif self.groups_cfg:
            groups = [list(g) for g in self.groups_cfg]
        for group in groups:
            missing = [a for a in group if a not in index]
            if missing or len(group) < 2:
                raise ValueError(
                    f'Attribute group {group}: needs two or more of the '
                    f'dataset\'s attributes (unknown: {missing}).')
        self.groups = [[index[a] for a in g] for g in groups]
        texts = [t for a in attributes for t in self.prompt_pairs[a]]
        self.text_emb = self.encode_text(texts).view(len(attributes), 2, -1)
        self.schema = schema_of(meta)  # bound once the prompts are
        MMLogger.get_current_instance().info(
            f'CLIPZeroShotPAR: {len(attributes)} attributes, '
            f'{len(self.groups)} exclusive groups scored jointly.')

    # -- images ----------------------------------------------------------
    def prepare_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """0-1 RGB batch -> (person crop) -> letterbox -> CLIP-normalised
        ``(B, 3, S, S)``."""
        images = list(inputs)
        if self.person_crop is not None:
            images = self.person_crop(inputs)
        fill = self.mean.view(3).mean().item()
        images = torch.stack(
            [letterbox(img, self.image_size, fill) for img in images])
        return (images - self.mean) / self.std

    # the interface's declarations: attributes by prompts, a free-text
    # query embedded as its text, no query network to export, the CLIP
    # folder instead of a checkpoint
    predicts_attribute_scores = True
    embeds_text = True
    query_graph_exportable = False

    @property
    def weights_folder(self) -> str:
        return self.clip_folder

    def embed_images(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.image_features(inputs)

    @torch.no_grad()
    def image_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """L2-normalised CLIP image embeddings ``(B, D)``."""
        feats = self.clip.get_image_features(
            pixel_values=self.prepare_images(inputs))
        feats = feats if torch.is_tensor(feats) else feats.pooler_output
        return F.normalize(feats.float(), dim=-1)

    @torch.no_grad()
    def attribute_scores(self, inputs: torch.Tensor,
                         feats: Optional[torch.Tensor] = None
                         ) -> torch.Tensor:
        """``(B, A)`` scores in [0, 1] (``feats``: the images'
        :meth:`image_features`, when already computed)."""
        if self.attributes is None:
            raise RuntimeError(
                f'CLIPZeroShotPAR has no attributes: {HOW_TO_SET}.')
        if feats is None:
            feats = self.image_features(inputs)
        scale = self.clip.logit_scale.exp()
        logits = scale * torch.einsum('bd,atd->bat', feats, self.text_emb)
        scores = logits.softmax(dim=-1)[..., 0]  # P(positive) per attribute
        for group in self.groups:
            scores[:, group] = logits[:, group, 0].softmax(dim=-1)
        return scores

    # -- BaseModel -------------------------------------------------------
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'tensor':
            return self.attribute_scores(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            raise RuntimeError('CLIPZeroShotPAR is zero-shot: there is '
                               'nothing to train; use tools/test.py.')
        raise RuntimeError(f'Invalid mode "{mode}".')

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        feats = self.image_features(inputs)
        scores = self.attribute_scores(inputs, feats)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(scores))]
        for sample, score, feat in zip(data_samples, scores, feats):
            sample.set_pred_score(score).set_pred_label(
                torch.where(score > self.thr)[0])
            # the image's CLIP embedding: text-to-image search
            sample.set_field(feat, 'pred_embedding')
        return data_samples

    @torch.no_grad()
    def encode_queries(self, attrs) -> torch.Tensor:
        """Embeddings ``(Q, D)`` of 0/1 attribute vectors: the mean of the
        text embeddings of each attribute's positive prompt where it is 1
        and its negative prompt where it is 0 (CLIP's prompt ensembling
        over the attributes), L2-normalised. Free text is embedded as it
        is by :meth:`encode_text`."""
        if self.attributes is None:
            raise RuntimeError(
                f'CLIPZeroShotPAR has no attributes: {HOW_TO_SET}.')
        attrs = torch.as_tensor(np.asarray(attrs)).long()
        if attrs.dim() != 2 or attrs.shape[1] != len(self.attributes) or \
                not bool(((attrs == 0) | (attrs == 1)).all()):
            raise ValueError(
                f'Query attribute vectors must be 0/1 of shape (N, '
                f'{len(self.attributes)}), got {tuple(attrs.shape)}.')
        text = self.text_emb.to(attrs.device)  # (A, 2, D): positive, negative
        picked = torch.where(attrs[..., None] == 1, text[None, :, 0],
                             text[None, :, 1])
        return F.normalize(picked.mean(dim=1), dim=-1)
