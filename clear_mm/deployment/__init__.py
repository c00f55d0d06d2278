from .onnx_export import export_onnx, max_difference, wrapper_of

__all__ = ['export_onnx', 'max_difference', 'wrapper_of']
