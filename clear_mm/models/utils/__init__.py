from .casa import ChannelAwareSelfAttention
from .data_preprocessor import with_defaults

__all__ = ['ChannelAwareSelfAttention', 'with_defaults']
