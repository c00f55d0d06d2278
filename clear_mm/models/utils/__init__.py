from .casa import ChannelAwareSelfAttention
from .data_preprocessor import RetrievalDataPreprocessor, with_defaults
from .pretrained import (LoadReport, StrictPretrainedInit, check_pretrained,
                         load_pretrained, remove_pretrained)

__all__ = [
    'ChannelAwareSelfAttention', 'LoadReport', 'StrictPretrainedInit',
    'RetrievalDataPreprocessor', 'check_pretrained', 'load_pretrained',
    'remove_pretrained', 'with_defaults'
]
