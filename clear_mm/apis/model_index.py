"""Our configs in MMPretrain's model hub (``model-index.yml`` and the
``configs/*/metafile.yml`` files), and :func:`inference_model`.

After :func:`register_models` (called by a user who wants it; never on
import, which leaves MMPretrain's hub as it was),
``mmpretrain.get_model('par_synthetic')`` and ``mmpretrain.list_models()``
know our configs. MMPretrain's own ``inference_model`` picks its inferencer
from a fixed table of task names, which has no multi-label attribute task;
:func:`inference_model` here is the same call for our models.
"""
import copy
import fnmatch
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Union

from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
MODEL_INDEX = ROOT / 'model-index.yml'
_index: Dict[str, object] = {}
_in_hub: List[bool] = []


def _our_index() -> Dict[str, object]:
    """``{name: metainfo}`` of ``model-index.yml`` (read once); empty
    without the file (an install without the repository's configs)."""
    if not _index and MODEL_INDEX.is_file():
        from modelindex.load_model_index import load
        index = load(str(MODEL_INDEX))
        index.build_models_with_collections()
        _index.update({m.name.lower(): m for m in index.models})
    return _index


def register_models() -> List[str]:
    """Register ``model-index.yml`` with MMPretrain's ``ModelHub`` (once),
    so that ``mmpretrain.get_model`` and ``mmpretrain.list_models`` know
    our configs; returns our model names. Our own name lookups do not need
    it (and do not read MMPretrain's whole index)."""
    names = sorted(_our_index())
    if names and not _in_hub:
        from mmpretrain.apis.model import ModelHub
        try:
            ModelHub.register_model_index(
                str(MODEL_INDEX), config_prefix=str(ROOT))
        except ValueError as e:  # registered already in this process
            if 'is conflict' not in str(e):
                raise
        _in_hub.append(True)
    return names


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of this toolbox's models (config names), optionally matching
    a wildcard ``pattern`` (``'ret_*'``)."""
    names = sorted(_our_index())
    if pattern is not None:
        names = fnmatch.filter(names, pattern.lower())
    return names


def config_of(model: Union[str, Config]) -> Config:
    """A config from a config file, a config or one of our model names."""
    if isinstance(model, Config):
        return copy.deepcopy(model)
    model = str(model)
    if model.endswith('.py'):
        if not osp.isfile(model):
            raise FileNotFoundError(f'Config {model} does not exist.')
        return Config.fromfile(model)
    if model.lower() not in _our_index():
        import difflib
        close = difflib.get_close_matches(model.lower(), list_models(), 3)
        raise ValueError(
            f'{model!r} is neither a config file nor one of our models' +
            (f' (did you mean {close}?)' if close else '') +
            '; clear_mm.apis.list_models() lists them.')
    return Config.fromfile(str(ROOT / _our_index()[model.lower()].config))


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
