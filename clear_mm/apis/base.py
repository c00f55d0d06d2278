"""What the inferencers share: a model from a config and a checkpoint with
its schema bound, the inputs (files, folders, lists, arrays) and the test
pipeline without its file loader."""
import copy
import os
import os.path as osp
import weakref
from pathlib import Path
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
from mmcv.image import imread
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.model import BaseModel
from mmpretrain.apis import BaseInferencer

ModelType = Union[BaseModel, str, Config]
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif',
                    '.tiff')


def list_images(inputs) -> list:
    """Inputs as a list of images: a folder (searched recursively, sorted),
    a ``.txt`` file listing one image per line (relative to its folder), an
    image path, an array (``(H, W, 3)``, BGR as OpenCV/mmcv read it) or a
    list of these. A path that does not exist, or a folder without images,
    is an error naming it."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    elif isinstance(inputs, np.ndarray):
        inputs = [inputs] if inputs.ndim == 3 else list(inputs)
    out = []
    for item in inputs:
        if isinstance(item, np.ndarray):
            if item.ndim != 3 or item.shape[2] != 3:
                raise ValueError('An image array must be (H, W, 3) (BGR), '
                                 f'got shape {item.shape}.')
            out.append(item)
            continue
        path = str(item)
        if osp.isdir(path):
            found = sorted(
                osp.join(root, name)
                for root, _, names in os.walk(path, followlinks=True)
                for name in names
                if name.lower().endswith(IMAGE_EXTENSIONS))
            if not found:
                raise FileNotFoundError(
                    f'{path} holds no images (searched recursively for '
                    f'{", ".join(IMAGE_EXTENSIONS)}).')
            out.extend(found)
        elif path.lower().endswith('.txt'):
            if not osp.isfile(path):
                raise FileNotFoundError(f'Image list {path} does not exist.')
            base = osp.dirname(path)
            with open(path, encoding='utf-8') as f:
                lines = [line.strip() for line in f]
            listed = [
                line if osp.isabs(line) else osp.join(base, line)
                for line in lines if line and not line.startswith('#')
            ]
            if not listed:
                raise ValueError(f'Image list {path} lists no images.')
            out.extend(listed)
        elif not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} does not exist (expected an image, a folder of '
                'images or a .txt list of images).')
        else:
            out.append(path)
    if not out:
        raise ValueError('No input images.')
    return out


def load_image(item) -> dict:
    """One input (path or BGR array) as the pipeline's first results."""
    if isinstance(item, np.ndarray):
        img, path = item, None
    else:
        path = str(item)
        if not osp.isfile(path):
            raise FileNotFoundError(f'Image {path} does not exist.')
        img = imread(path)
        if img is None:
            raise ValueError(f'Image {path} could not be decoded (corrupt or '
                             'not an image).')
    results = dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
    if path is not None:
        results['img_path'] = path
    return results


def test_pipeline(cfg: Config) -> Callable:
    """The config's test pipeline with its file loading left out (done by
    :func:`load_image`, for paths and arrays alike)."""
    from clear_mm.datasets.transforms.loading import LOADING_TRANSFORMS
    from clear_mm.registry import TRANSFORMS
    steps = [
        t for t in copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        if t['type'] not in LOADING_TRANSFORMS
    ]
    return Compose([load_image] + [TRANSFORMS.build(t) for t in steps])


def init_model(model: ModelType,
               pretrained: Optional[str] = None,
               device: Optional[str] = None,
               metainfo: Optional[dict] = None,
               cfg_options: Optional[dict] = None) -> BaseModel:
    """A model of this toolbox, ready for inference, with its schema
    (attribute names, groups, exclusion rules, descriptions) bound.

    Args:
        model (BaseModel | str | Config): A built model, a config file, a
            config, or a name from :func:`clear_mm.apis.list_models`.
        pretrained (str, optional): Checkpoint to load. It must fit the
            model exactly (a ``ValueError`` names the first keys that do
            not). Defaults to None (only for models without training:
            CLIP zero-shot).
        device (str, optional): Defaults to None (CPU).
        metainfo (dict, optional): The dataset schema, for a checkpoint
            that carries none. Defaults to None.
        cfg_options (dict, optional): Config overrides.

    Returns:
        BaseModel: The model in eval mode, with ``_config`` and
        ``dataset_meta`` (its schema) set.
    """
    from mmpretrain.apis import get_model

    from clear_mm.utils.checkpoint import load_model_weights
    from .model_index import config_of
    checkpoint_meta = {}
    if isinstance(model, BaseModel):
        if getattr(model, '_config', None) is None:
            raise ValueError(
                f'This {type(model).__name__} was built without its config, '
                "whose test pipeline the inferencers use: pass the config "
                '(file or name) instead, or build the model with '
                'clear_mm.apis.init_model / mmpretrain.get_model.')
        if pretrained:
            checkpoint_meta = load_model_weights(
                model, pretrained, type(model).__name__).get('meta', {})
        elif model in _BOUND:  # its schema, bound by init_model before
            checkpoint_meta = dict(dataset_meta=model.dataset_meta)
        if device is not None:
            model.to(device)
    else:
        cfg = config_of(model)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if cfg.get('checkpoints_root'):
            from clear_mm.utils.checkpoints_root import set_checkpoints_root
            set_checkpoints_root(cfg.checkpoints_root)
        if pretrained and 'par_checkpoint' in cfg.model:
            cfg.model.par_checkpoint = None  # the checkpoint holds f_par
        model = get_model(cfg, pretrained=False)
        if pretrained:
            what = f'the model of {cfg.filename or "the config"}'
            checkpoint_meta = load_model_weights(model, pretrained,
                                                 what).get('meta', {})
        elif trains(cfg):
            raise ValueError(
                'Give the checkpoint to run: the config trains its model '
                '(only models without training, e.g. CLIPZeroShotPAR, run '
                'without one).')
        if device is not None:
            model.to(device)
    model.eval()
    bind_schema(model, metainfo or checkpoint_meta.get('dataset_meta'))
    return model


#: the models :func:`bind_schema` gave a schema (an inferencer built on one
#: of them keeps it, rather than reading the config's test dataset again)
_BOUND: 'weakref.WeakSet[BaseModel]' = weakref.WeakSet()


def trains(cfg: Config) -> bool:
    return cfg.get('train_dataloader') is not None


def bind_schema(model: BaseModel, meta: Optional[dict]) -> dict:
    """Give ``model`` its dataset schema and return it as
    ``model.dataset_meta``: the one it carries in its state (retrievers,
    Cerberus), else ``meta`` (a checkpoint's ``dataset_meta``, or given),
    else the metainfo of the config's test dataset (for models without a
    checkpoint: CLIP zero-shot)."""
    from clear_mm.models import AttributeModel
    from clear_mm.models.utils.dataset_meta import schema_of
    from clear_mm.structures.schema import plain
    attribute_model = isinstance(model, AttributeModel)
    own = model.schema if attribute_model else None
    if own is None:
        if meta is None or not meta.get('attributes'):
            meta = _test_dataset_meta(model)
        if attribute_model:
            model.set_dataset_meta(meta)
        own = (model.schema if attribute_model else None) or schema_of(meta)
    elif meta is not None and meta.get('attributes'):
        from clear_mm.models.utils.dataset_meta import check_same_attributes
        check_same_attributes(own['attributes'], meta['attributes'],
                              type(model).__name__)
    from mmpretrain.models import ImageClassifier
    num_classes = model.head.num_classes if isinstance(
        model, ImageClassifier) and model.with_head else None
    if num_classes is not None and num_classes != len(own['attributes']):
        raise ValueError(
            f'The model predicts {num_classes} attributes but its schema '
            f'has {len(own["attributes"])}: {own["attributes"]}.')
    model.dataset_meta = plain(own)
    _BOUND.add(model)
    return model.dataset_meta


def _test_dataset_meta(model: BaseModel) -> dict:
    cfg = getattr(model, '_config', None)
    if cfg is None or 'test_dataloader' not in cfg:
        raise ValueError(
            f'{type(model).__name__} carries no attribute names: load a '
            'checkpoint trained by tools/train.py (it stores them) or pass '
            'metainfo=dict(attributes=[...]).')
    try:
        dataset = build_test_dataset(cfg)
    except (FileNotFoundError, OSError) as e:
        raise ValueError(
            f'{type(model).__name__} carries no attribute names and the '
            "config's test dataset, which would name them, cannot be read "
            f'({e}). Load a checkpoint that carries them or pass '
            'metainfo=dict(attributes=[...]).') from e
    return dataset.metainfo


def build_test_dataset(cfg: Config, split: Optional[str] = None):
    """The config's test dataset, or another ``split`` of it."""
    from mmengine.registry import DefaultScope

    from clear_mm.registry import DATASETS
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    if split:
        dataset_cfg['split'] = split
    with DefaultScope.overwrite_default_scope('clear_mm'):
        return DATASETS.build(dataset_cfg)


def attribute_groups(meta: dict) -> List[Tuple[str, str, List[int]]]:
    """``(group, rule, column indices)`` of each group that holds at
    most one positive (``exclusion_rules``: ``'one'`` or
    ``'at_most_one'``)."""
    index = {a: i for i, a in enumerate(meta['attributes'])}
    groups = meta.get('attribute_groups') or {}
    out = []
    for group, rule in (meta.get('exclusion_rules') or {}).items():
        cols = [index[a] for a in groups.get(group, ()) if a in index]
        if len(cols) > 1:
            out.append((group, rule, cols))
    return out


class ModelInferencer(BaseInferencer):
    """What our inferencers share on top of MMPretrain's
    ``BaseInferencer``: the model through :func:`init_model` (strict
    loading and the schema bound, where ``BaseInferencer.__init__`` loads
    leniently), inputs through :func:`list_images` and the config's test
    pipeline without its loader. Subclasses check that the model can do
    their task in :meth:`check_model`."""

    def __init__(self,
                 model: ModelType,
                 pretrained: Optional[str] = None,
                 device: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 cfg_options: Optional[dict] = None) -> None:
        self.model = init_model(model, pretrained, device, metainfo,
                                cfg_options)
        self.check_model(self.model)
        self.config = self.model._config
        self.pipeline = self._init_pipeline(self.config)
        self.visualizer = None
        self.attributes = list(self.model.dataset_meta['attributes'])

    def check_model(self, model: BaseModel) -> None:
        """Raise ``ValueError`` when ``model`` cannot do this task."""

    def _inputs_to_list(self, inputs) -> list:
        return list_images(inputs)

    def _init_pipeline(self, cfg: Config) -> Callable:
        return test_pipeline(cfg)

    @staticmethod
    def list_models(pattern: Optional[str] = None) -> List[str]:
        from .model_index import list_models
        return list_models(pattern)
