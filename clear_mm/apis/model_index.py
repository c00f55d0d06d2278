"""Our configs in MMPretrain's model hub (``model-index.yml`` and the
``configs/*/metafile.yml`` files), and :func:`inference_model`.

After :func:`register_models` (called by our own name lookups, or by a
user; never on import, which leaves MMPretrain's hub as it was),
``mmpretrain.get_model('par_synthetic')`` and ``mmpretrain.list_models()``
know our configs. MMPretrain's own ``inference_model`` picks its inferencer
from a fixed table of task names, which has no multi-label attribute task;
:func:`inference_model` here is the same call for our models.
"""
import copy
import fnmatch
import os.path as osp
from pathlib import Path
from typing import List, Optional, Union

from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
MODEL_INDEX = ROOT / 'model-index.yml'
_registered: List[str] = []


def register_models() -> List[str]:
    """Register ``model-index.yml`` with MMPretrain's ``ModelHub`` (once);
    returns our model names. Without the file (an install without the
    repository's configs) there is nothing to register."""
    if _registered or not MODEL_INDEX.is_file():
        return list(_registered)
    from modelindex.load_model_index import load
    from mmpretrain.apis.model import ModelHub
    index = load(str(MODEL_INDEX))
    index.build_models_with_collections()
    names = [m.name.lower() for m in index.models]
    ModelHub._register_mmpretrain_models()
    if not all(ModelHub.has(n) for n in names):
        ModelHub.register_model_index(str(MODEL_INDEX), config_prefix=ROOT)
    _registered.extend(names)
    return list(_registered)


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of this toolbox's models (config names), optionally matching
    a wildcard ``pattern`` (``'ret_*'``)."""
    names = register_models()
    if pattern is not None:
        names = fnmatch.filter(names, pattern.lower())
    return sorted(names)


def config_of(model: Union[str, Config]) -> Config:
    """A config from a config file, a config or one of our model names."""
    if isinstance(model, Config):
        return copy.deepcopy(model)
    model = str(model)
    if model.endswith('.py'):
        if not osp.isfile(model):
            raise FileNotFoundError(f'Config {model} does not exist.')
        return Config.fromfile(model)
    if model.lower() not in register_models():
        import difflib
        close = difflib.get_close_matches(model.lower(), list_models(), 3)
        raise ValueError(
            f'{model!r} is neither a config file nor one of our models' +
            (f' (did you mean {close}?)' if close else '') +
            '; clear_mm.apis.list_models() lists them.')
    from mmpretrain.apis.model import ModelHub
    return ModelHub.get(model).config


def inference_model(model, inputs, pretrained: Optional[str] = None,
                    **kwargs):
    """Run the right inferencer on ``inputs`` (like
    ``mmpretrain.inference_model``): attribute scores for models that
    predict attributes (:class:`PARInferencer`), else image embeddings
    (:class:`AttributeRetrievalInferencer`). Returns one result per input
    (or the only one for a single input)."""
    from .base import init_model
    from .par_inferencer import PARInferencer, predicts_attributes
    from .retrieval_inferencer import AttributeRetrievalInferencer
    model = init_model(model, pretrained, kwargs.pop('device', None))
    if predicts_attributes(model):
        results = PARInferencer(model)(inputs, **kwargs)
    else:
        inferencer = AttributeRetrievalInferencer(model)
        results = inferencer.embed_images(inputs, **kwargs)
    single = not isinstance(inputs, (list, tuple)) and not (
        isinstance(inputs, str) and osp.isdir(inputs))
    return results[0] if single and isinstance(results, list) else results
