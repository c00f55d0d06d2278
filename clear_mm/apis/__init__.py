"""Use a trained model: attributes of images (:class:`PARInferencer`),
attribute queries over a gallery (:class:`AttributeRetrievalInferencer`),
models by name (:func:`list_models`; :func:`register_models` adds them to
``mmpretrain.list_models`` and ``mmpretrain.get_model`` on request, not
on import)."""
from .base import init_model, list_images
from .model_index import inference_model, list_models, register_models
from .par_inferencer import (PARInferencer, load_thresholds,
                             predicts_attributes)
from .retrieval_inferencer import AttributeRetrievalInferencer

__all__ = [
    'AttributeRetrievalInferencer', 'PARInferencer', 'inference_model',
    'init_model', 'list_images', 'list_models', 'load_thresholds',
    'predicts_attributes', 'register_models'
]
