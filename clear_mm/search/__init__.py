"""Person search over a gallery of crops: a persistent index
(:class:`PersonSearcher`) in faiss files or a Milvus collection
(:class:`FaissGallery`, :class:`MilvusGallery`, filtered by a
:class:`Filter`), queries by attribute names with don't-care and
negation or by free text (:class:`QueryParser`), and the scoring of
partial queries (:class:`QueryScorer`)."""
from .backends import FaissGallery, Filter, Gallery, MilvusGallery
from .index import PersonSearcher
from .query import ParsedQuery, QueryParser
from .scoring import QueryScorer

__all__ = [
    'FaissGallery', 'Filter', 'Gallery', 'MilvusGallery', 'ParsedQuery',
    'PersonSearcher', 'QueryParser', 'QueryScorer'
]
