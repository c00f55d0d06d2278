"""Running an exported graph in ONNX Runtime, with the session settings
measured fastest for these graphs on a CPU (``benchmark_inference.py
--sweep`` measures each one; docs/benchmarks.md has the numbers).

- Threads: as many as PyTorch uses (``torch.get_num_threads()``).
- Graph optimisation: ``ORT_ENABLE_ALL`` (ONNX Runtime's default).
- A fixed batch size (``batch_size``): the graph's dynamic ``batch``
  dimension is fixed when the session is made
  (``add_free_dimension_override_by_name``). ONNX Runtime then folds the
  shape arithmetic of the Swin windows and the reshapes (hundreds of small
  nodes) into constants. A shorter last batch is padded with zeros and its
  outputs cut.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: the name of the dynamic batch dimension of every exported graph
BATCH_DIM = 'batch'


def session_options(threads: Optional[int] = None,
                    batch_size: Optional[int] = None,
                    optimization: str = 'all',
                    mem_pattern: bool = True,
                    spinning: bool = True):
    """``onnxruntime.SessionOptions``: ``threads`` intra-op threads
    (default: PyTorch's), the batch dimension fixed to ``batch_size``
    (None: dynamic), graph ``optimization`` ('disable', 'basic',
    'extended' or 'all'), the memory pattern planner and the thread pool's
    spin-waiting between runs."""
    import onnxruntime as ort
    levels = dict(
        disable=ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        basic=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        extended=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        all=ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    if optimization not in levels:
        raise ValueError(f'optimization {optimization!r}: expected one of '
                         f'{list(levels)}.')
    if batch_size is not None and batch_size < 1:
        raise ValueError(f'batch_size must be at least 1, got {batch_size}.')
    if threads is None:
        import torch
        threads = torch.get_num_threads()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = levels[optimization]
    options.enable_mem_pattern = mem_pattern
    if not spinning:
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '0')
    if batch_size is not None:
        options.add_free_dimension_override_by_name(BATCH_DIM, batch_size)
    return options


class OnnxGraph:
    """An exported image graph (``images`` in, ``scores`` and/or
    ``embeddings`` out) in an ONNX Runtime session.

    Args:
        path (str): The ``.onnx`` file (``tools/deployment/export_onnx.py``,
            any precision).
        batch_size (int, optional): Fix the batch dimension to this size
            (faster, see the module); :meth:`run` takes any number of
            images and runs them in batches of this size. None: dynamic,
            one run per call. Defaults to None.
        threads (int, optional): Intra-op threads. Defaults to PyTorch's.
        providers (list, optional): ONNX Runtime execution providers.
            Defaults to the CPU's.
        **options: More :func:`session_options`.
    """

    def __init__(self,
                 path: str,
                 batch_size: Optional[int] = None,
                 threads: Optional[int] = None,
                 providers: Optional[Sequence[str]] = None,
                 **options) -> None:
        import onnxruntime as ort
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} does not exist.')
        self.path = path
        self.batch_size = batch_size
        self.session = ort.InferenceSession(
            path, session_options(threads, batch_size, **options),
            providers=list(providers or ['CPUExecutionProvider']))
        self.meta: Dict[str, str] = \
            self.session.get_modelmeta().custom_metadata_map
        inputs = self.session.get_inputs()
        if [i.name for i in inputs] != ['images'] or \
                len(inputs[0].shape) != 4:
            raise ValueError(
                f'{path} takes {[(i.name, i.shape) for i in inputs]}; '
                'expected one input, images (B, 3, H, W): export an image '
                'or recognition graph.')
        self.input_size: Tuple[int, int] = tuple(inputs[0].shape[2:])
        self.output_names: List[str] = [
            o.name for o in self.session.get_outputs()
        ]

    @property
    def kind(self) -> Optional[str]:
        """``recognition`` or ``image``, as the export recorded it."""
        return self.meta.get('kind')

    @property
    def attributes(self) -> Optional[List[str]]:
        names = self.meta.get('attributes')
        return None if names is None else json.loads(names)

    @property
    def precision(self) -> str:
        return self.meta.get('precision', 'fp32')

    def check(self, model_name: str, attributes: Sequence[str],
              input_size: Tuple[int, int], kind: str) -> None:
        """Refuse a graph exported from another model: its kind, model
        class, attribute names and input size must be the given ones."""
        if self.kind != kind:
            raise ValueError(f'{self.path} is a {self.kind!r} graph; '
                             f'expected {kind!r} (export it with --kind '
                             f'{kind}).')
        exported = self.meta.get('model')
        if exported not in (None, model_name):
            raise ValueError(f'{self.path} was exported from a {exported}; '
                             f'the model is a {model_name}.')
        if self.attributes is None:
            raise ValueError(
                f'{self.path} carries no attribute names: export it with '
                'tools/deployment/export_onnx.py, which records them.')
        if list(self.attributes) != list(attributes):
            raise ValueError(
                f'{self.path} was exported with the attributes '
                f'{self.attributes}; the model has {list(attributes)}. '
                'Export it from this model.')
        if tuple(self.input_size) != tuple(input_size):
            raise ValueError(
                f'{self.path} takes images of {self.input_size[0]}x'
                f'{self.input_size[1]}; the test pipeline gives '
                f'{input_size[0]}x{input_size[1]}.')

    def run(self, images: np.ndarray) -> Dict[str, np.ndarray]:
        """The graph's outputs, by name, for RGB 0-255 float32 images
        ``(N, 3, H, W)``; with a fixed batch size, in batches of it (the
        last one zero-padded, its padding's outputs dropped)."""
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim != 4 or not len(images):
            raise ValueError(f'{self.path} takes images (N, 3, H, W), N >= '
                             f'1; got shape {images.shape}.')
        if self.batch_size is None:
            return dict(
                zip(self.output_names,
                    self.session.run(None, {'images': images})))
        parts: List[List[np.ndarray]] = []
        for start in range(0, len(images), self.batch_size):
            batch = images[start:start + self.batch_size]
            count = len(batch)
            if count < self.batch_size:
                pad = np.zeros((self.batch_size - count, ) + batch.shape[1:],
                               np.float32)
                batch = np.concatenate([batch, pad])
            outs = self.session.run(None, {'images': batch})
            parts.append([o[:count] for o in outs])
        return {
            name: np.concatenate([p[i] for p in parts])
            for i, name in enumerate(self.output_names)
        }


__all__ = ['BATCH_DIM', 'OnnxGraph', 'session_options']
