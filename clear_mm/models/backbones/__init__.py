from .casa_swin_transformer import CASASwinTransformer
from .cross_transformer import CrossTransformer

__all__ = ['CASASwinTransformer', 'CrossTransformer']
