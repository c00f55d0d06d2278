"""Export the recognition models and the retrieval encoders to ONNX.

The exported graphs take what a deployment has at hand and give what it
needs, with no PyTorch or mmpretrain code around them:

- ``images``: ``(B, 3, H, W)`` float32 RGB in 0-255 at the config's test
  size (the data preprocessor's normalisation is inside the graph);
- a recognition model gives ``scores`` ``(B, A)`` (sigmoid; the attribute
  names are in the model's metadata, ``attributes``);
- a retrieval image encoder gives ``embeddings`` ``(B, D)``, L2-normalised,
  and, when the model predicts attributes, their ``scores`` ``(B, A)``
  from the same pass (what the search index stores);
- a query encoder takes ``attributes`` ``(Q, A)`` 0/1 float32 (plus, for
  CLEAR's text queries, the language model's ``soft_states``) and gives
  ``embeddings`` ``(Q, D)``, L2-normalised: a cosine ranks the gallery.

The batch dimension is dynamic.
"""
import json
import warnings
from contextlib import contextmanager
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from clear_mm.models import AttributeModel


class Normalize(nn.Module):
    """The data preprocessor's ``(x - mean) / std`` on RGB input."""

    def __init__(self, model: BaseModel):
        super().__init__()
        pre = model.data_preprocessor
        mean = getattr(pre, 'mean', None)
        std = getattr(pre, 'std', None)
        self.register_buffer(
            'mean', torch.zeros(1, 3, 1, 1) if mean is None else
            mean.detach().view(1, -1, 1, 1).clone())
        self.register_buffer(
            'std', torch.ones(1, 3, 1, 1) if std is None else
            std.detach().view(1, -1, 1, 1).clone())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return (images - self.mean) / self.std


class AttributeScores(nn.Module):
    """RGB images -> attribute scores ``(B, A)`` of a model that predicts
    attributes: an mmpretrain classifier (CLEAR's recognition model, the
    baselines), the multi-task model, or the frozen recognition model of
    CLEAR's retriever."""

    def __init__(self, model: BaseModel):
        super().__init__()
        self.normalize = Normalize(model)
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.normalize(images)
        if isinstance(self.model, AttributeModel):
            logits = self.model.attribute_logits(x)
        else:  # an MMPretrain classifier
            logits = self.model(x, mode='tensor')
        return torch.sigmoid(logits)


class ImageEncoder(nn.Module):
    """RGB images -> L2-normalised retrieval embeddings ``(B, D)`` and, for a
    model that predicts attributes (``recognition_graph_exportable``),
    their attribute scores ``(B, A)`` from the same pass: what the search
    index stores of each image."""

    def __init__(self, model: BaseModel):
        super().__init__()
        self.normalize = Normalize(model)
        self.model = model
        self.with_scores = bool(model.recognition_graph_exportable)

    @property
    def output_names(self) -> List[str]:
        return ['embeddings'] + (['scores'] if self.with_scores else [])

    def forward(self, images: torch.Tensor):
        embeddings, logits = self.model.image_graph(self.normalize(images))
        embeddings = F.normalize(embeddings, dim=1)
        if not self.with_scores:
            return embeddings
        return embeddings, torch.sigmoid(logits)


class QueryEncoder(nn.Module):
    """0/1 attribute vectors -> L2-normalised query embeddings ``(Q, D)``.
    CLEAR's text forms (soft, words) take the language model's states of
    the vectors' pseudo-descriptions as further inputs
    (``<form>_states``, ``model.query_inputs(form, attrs)``): tokenising
    and the language model stay outside the graph."""

    def __init__(self, model: BaseModel):
        super().__init__()
        self.model = model

    def forward(self, attributes: torch.Tensor,
                *text_states: torch.Tensor) -> torch.Tensor:
        return F.normalize(
            self.model.query_graph(attributes, *text_states), dim=1)


def graph_input_size(cfg) -> Tuple[int, int]:
    """``(H, W)`` of a config's test pipeline (its last ``Resize``), the
    input size of the exported graphs."""
    size = None
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize' and 'scale' in step:
            w, h = step['scale']
            size = (h, w)
    if size is None:
        raise ValueError('The test pipeline has no Resize with a scale: '
                         'the exported input size is unknown.')
    return size


def example_inputs(kind: str, model: BaseModel, image_size: Tuple[int, int],
                   batch: int = 2) -> Dict[str, torch.Tensor]:
    """Example inputs of an exported graph (random, ``batch`` rows)."""
    if kind != 'query':
        return dict(images=torch.rand(batch, 3, *image_size) * 255)
    num = model.num_attributes
    inputs = dict(attributes=torch.randint(0, 2, (batch, num)).float())
    for form in model.text_query_forms:
        width = model.query_adapters[form].in_channels
        inputs[f'{form}_states'] = torch.randn(batch, width)
    return inputs


def wrapper_of(kind: str, model: BaseModel) -> nn.Module:
    if kind == 'recognition':
        from clear_mm.apis import predicts_attributes
        if not predicts_attributes(model):
            raise ValueError(
                f'{type(model).__name__} predicts no attributes (ASMR trains '
                'its visual model for retrieval only): export its image and '
                'query encoders.')
        if isinstance(model, AttributeModel) and \
                not model.recognition_graph_exportable:
            raise ValueError(f'{type(model).__name__}: no exportable '
                             'recognition graph (CLIP zero-shot and Cerberus '
                             'score attributes outside a network).')
        return AttributeScores(model).eval()
    if not isinstance(model, AttributeModel):
        raise ValueError(f'{type(model).__name__} is no attribute retrieval '
                         'model; export it with --kind recognition.')
    if kind == 'image':
        return ImageEncoder(model).eval()
    if kind == 'query':
        if not model.query_graph_exportable:
            raise ValueError(
                f'{type(model).__name__} encodes queries outside a network '
                '(Cerberus: SID prototype look-ups; CLIP: its text model): '
                'there is no query graph to export; export its image encoder '
                'and keep encode_queries in Python.')
        return QueryEncoder(model).eval()
    raise ValueError(f'kind {kind!r}: expected recognition, image or query.')


@contextmanager
def export_friendly():
    """mmpretrain's Swin windows, rebuilt without ``int(tensor size)``:
    ``ShiftWindowMSA.window_reverse`` computes the batch size with
    ``int()``, which a traced graph freezes to the example's batch (the
    exported model is then wrong for any other batch size)."""
    from mmpretrain.models.utils.attention import ShiftWindowMSA
    original = ShiftWindowMSA.__dict__['window_reverse']

    def window_reverse(windows, H, W, window_size):
        C = windows.shape[-1]
        x = windows.view(-1, H // window_size, W // window_size, window_size,
                         window_size, C)
        return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, H, W, C)

    ShiftWindowMSA.window_reverse = staticmethod(window_reverse)
    try:
        yield
    finally:
        ShiftWindowMSA.window_reverse = original


def export_onnx(model: BaseModel, kind: str, path: str,
                image_size: Tuple[int, int],
                attributes: Optional[List[str]] = None,
                opset: int = 18) -> nn.Module:
    """Export ``kind`` (``'recognition'``, ``'image'`` or ``'query'``) of
    ``model`` to ``path`` with a dynamic batch dimension; returns the
    exported wrapper (for parity checks)."""
    wrapper = wrapper_of(kind, model.eval())
    inputs = example_inputs(kind, model, image_size)
    outputs = getattr(wrapper, 'output_names', None) or [
        'scores' if kind == 'recognition' else 'embeddings'
    ]
    dynamic = {name: {0: 'batch'} for name in list(inputs) + outputs}
    # the shape checks in the models' Python code are constants in a
    # traced graph, by design (the input size is fixed): no warnings for
    # them; max_difference checks the result
    with export_friendly(), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(
            wrapper, tuple(inputs.values()), path,
            input_names=list(inputs), output_names=outputs,
            dynamic_axes=dynamic, opset_version=opset, dynamo=False)
    import onnx
    graph = onnx.load(path)
    meta = dict(kind=kind, model=type(model).__name__,
                image_size=json.dumps(list(image_size)))
    if attributes is not None:
        meta['attributes'] = json.dumps(list(attributes))
    for key, value in meta.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.save(graph, path)
    return wrapper


@torch.no_grad()
def max_difference(wrapper: nn.Module, path: str, kind: str,
                   model: BaseModel, image_size: Tuple[int, int],
                   batches=(1, 3)) -> float:
    """The largest absolute difference between ONNX Runtime and PyTorch on
    random inputs of each batch size."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    worst = 0.0
    for batch in batches:
        inputs = example_inputs(kind, model, image_size, batch)
        ours = wrapper(*inputs.values())
        ours = ours if isinstance(ours, tuple) else (ours, )
        theirs = session.run(None, {k: v.numpy() for k, v in inputs.items()})
        for a, b in zip(ours, theirs):
            worst = max(worst, float(abs(a.numpy() - b).max()))
    return worst
