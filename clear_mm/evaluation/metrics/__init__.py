from .par_metric import PARMetric
from .retrieval_metric import AttrRetrievalMetric

__all__ = ['AttrRetrievalMetric', 'PARMetric']
