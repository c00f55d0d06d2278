from .attribute_token_head import AttributeTokenHead
from .par_head import PARHead

__all__ = ['AttributeTokenHead', 'PARHead']
