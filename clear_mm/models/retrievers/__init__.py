from .adapters import RetrievalAdapter
from .attribute_retriever import (AttributeRetriever,
                                  RetrievalDataPreprocessor)

__all__ = [
    'AttributeRetriever', 'RetrievalAdapter', 'RetrievalDataPreprocessor'
]
