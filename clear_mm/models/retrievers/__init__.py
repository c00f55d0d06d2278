from .adapters import RetrievalAdapter
from .attribute_retriever import AttributeRetriever
from .base import BaseAttributeRetriever
from .multitask_transformer import MultiTaskAttributeTransformer

__all__ = [
    'AttributeRetriever', 'BaseAttributeRetriever',
    'MultiTaskAttributeTransformer', 'RetrievalAdapter'
]
