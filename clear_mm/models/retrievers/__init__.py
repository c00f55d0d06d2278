from .adapters import RetrievalAdapter
from .asmr_retriever import ASMRRetriever
from .attribute_retriever import AttributeRetriever
from .base import BaseAttributeRetriever
from .multitask_transformer import MultiTaskAttributeTransformer

__all__ = [
    'ASMRRetriever', 'AttributeRetriever', 'BaseAttributeRetriever',
    'MultiTaskAttributeTransformer', 'RetrievalAdapter'
]
