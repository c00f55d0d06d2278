from .casa import ChannelAwareSelfAttention
from .data_preprocessor import RetrievalDataPreprocessor, with_defaults

__all__ = [
    'ChannelAwareSelfAttention', 'RetrievalDataPreprocessor', 'with_defaults'
]
