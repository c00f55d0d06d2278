"""Half-precision and int8 variants of an exported fp32 ONNX graph, with
ONNX Runtime's own tools.

- ``fp16``: weights and activations in float16
  (``onnxruntime.transformers.float16``), inputs and outputs kept float32
  so that callers feed the same arrays.
- ``int8``: ONNX Runtime quantization. The matrix products (``MatMul``,
  ``Gemm``: 75-85 % of the time of these graphs on a CPU) are quantized
  dynamically: int8 weights, activations quantized at run time
  (``quantize_dynamic``). With a folder of calibration images the
  convolutions are also quantized, statically (``quantize_static``):
  per-channel int8 weights, uint8 activations whose ranges come from those
  images run through the fp32 graph, as ``QLinearConv`` (the u8 x s8
  kernels of x86 CPUs). Without calibration images the convolutions stay
  fp32: dynamically quantized ones (``ConvInteger``) are far slower than
  fp32 ones in ONNX Runtime on a CPU. ``benchmark_inference.py --sweep``
  measures these choices against their alternatives (convolutions
  quantized dynamically, matrix products statically).

The graphs take what the fp32 ones take (see :mod:`.onnx_export`); their
metadata gains ``precision`` (``fp16``, ``int8 dynamic``, ``int8
static``).
"""
import os.path as osp
import tempfile
from typing import Optional, Sequence, Tuple

import numpy as np

PRECISIONS = ('fp32', 'fp16', 'int8')
#: the operators int8 quantizes dynamically
INT8_OPS = ('MatMul', 'Gemm')
#: the operators int8 quantizes statically, given calibration images
STATIC_OPS = ('Conv', )


class ImageFolderReader:
    """``onnxruntime.quantization.CalibrationDataReader`` of the images of
    a folder (RGB, 0-255, resized to the graph's ``(H, W)``), one batch of
    ``batch_size`` at a time."""

    def __init__(self, folder: str, image_size: Tuple[int, int],
                 input_name: str = 'images', batch_size: int = 8,
                 limit: Optional[int] = 256):
        from clear_mm.apis.base import list_images
        self.paths = list_images(folder)[:limit]
        if not self.paths:
            raise ValueError(f'{folder}: no images to calibrate with.')
        self.image_size = tuple(image_size)
        self.input_name = input_name
        self.batch_size = batch_size
        self.position = 0

    def _load(self, path: str) -> np.ndarray:
        import mmcv
        h, w = self.image_size
        image = mmcv.imread(path, channel_order='rgb')
        image = mmcv.imresize(image, (w, h), interpolation='area')
        return image.transpose(2, 0, 1).astype(np.float32)

    def get_next(self) -> Optional[dict]:
        if self.position >= len(self.paths):
            return None
        batch = self.paths[self.position:self.position + self.batch_size]
        self.position += len(batch)
        return {self.input_name: np.stack([self._load(p) for p in batch])}

    def rewind(self) -> None:
        self.position = 0


def convert_precision(src: str, dst: str, precision: str,
                      calibration: Optional[str] = None,
                      image_size: Optional[Tuple[int, int]] = None,
                      int8_ops: Optional[Sequence[str]] = INT8_OPS,
                      static_ops: Sequence[str] = STATIC_OPS) -> str:
    """Write the ``precision`` variant of the fp32 graph ``src`` to ``dst``
    (``fp32`` copies it). For int8, ``int8_ops`` are the operator types
    quantized dynamically (None: every one ONNX Runtime can) and, with
    ``calibration`` (a folder of images, for image graphs; it needs
    ``image_size``), ``static_ops`` those quantized statically first."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision {precision!r}: expected one of '
                         f'{PRECISIONS}.')
    if calibration and precision != 'int8':
        raise ValueError('Calibration images are for --precision int8.')
    import onnx
    if precision == 'fp32':
        if osp.abspath(src) != osp.abspath(dst):
            onnx.save(onnx.load(src), dst)
        return dst
    if precision == 'fp16':
        from onnxruntime.transformers.float16 import \
            convert_float_to_float16
        model = convert_float_to_float16(onnx.load(src), keep_io_types=True)
        onnx.save(model, dst)
        return _tag(dst, 'fp16')
    from onnxruntime.quantization import (QuantFormat, QuantType,
                                          quantize_dynamic, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        # ONNX Runtime's recommended pre-processing: shapes and fusions
        quant_pre_process(src, prepared, skip_symbolic_shape=True)
        if calibration is not None:
            if image_size is None:
                raise ValueError('Static int8 needs the image size.')
            graph = onnx.load(prepared)
            name = graph.graph.input[0].name
            reader = ImageFolderReader(calibration, image_size, name)
            static = osp.join(tmp, 'static.onnx')
            quantize_static(prepared, static, reader,
                            quant_format=QuantFormat.QOperator,
                            per_channel=True,
                            activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8,
                            op_types_to_quantize=list(static_ops))
            prepared = static
        quantize_dynamic(prepared, dst, weight_type=QuantType.QInt8,
                         op_types_to_quantize=None if int8_ops is None else
                         list(int8_ops))
    return _tag(dst, 'int8 ' + ('dynamic' if calibration is None else
                                'static'))


def _tag(path: str, precision: str) -> str:
    """Record ``precision`` in the graph's metadata."""
    import onnx
    graph = onnx.load(path)
    for entry in graph.metadata_props:
        if entry.key == 'precision':
            entry.value = precision
            break
    else:
        entry = graph.metadata_props.add()
        entry.key, entry.value = 'precision', precision
    onnx.save(graph, path)
    return path


__all__ = [
    'INT8_OPS', 'PRECISIONS', 'STATIC_OPS', 'ImageFolderReader',
    'convert_precision'
]
