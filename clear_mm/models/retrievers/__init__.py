from .adapters import RetrievalAdapter
from .attribute_retriever import ASMRRetriever, AttributeRetriever
from .base import BaseAttributeRetriever
from .multitask_transformer import MultiTaskAttributeTransformer

__all__ = [
    'ASMRRetriever', 'AttributeRetriever', 'BaseAttributeRetriever',
    'MultiTaskAttributeTransformer', 'RetrievalAdapter'
]
