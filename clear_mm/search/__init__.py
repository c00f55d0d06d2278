"""Person search over a gallery of crops: a persistent index
(:class:`PersonSearcher`), queries by attribute names with don't-care and
negation or by free text (:class:`QueryParser`), and the scoring of
partial queries (:class:`QueryScorer`)."""
from .index import PersonSearcher
from .query import ParsedQuery, QueryParser
from .scoring import QueryScorer

__all__ = ['ParsedQuery', 'PersonSearcher', 'QueryParser', 'QueryScorer']
