from .attribute_token_transformer import AttributeTokenTransformer
from .cross_fusion_neck import CrossFusionNeck

__all__ = ['AttributeTokenTransformer', 'CrossFusionNeck']
