from .par_metric import PARMetric
from .reid_metric import ReIDMetric
from .retrieval_metric import AttrRetrievalMetric

__all__ = ['AttrRetrievalMetric', 'PARMetric', 'ReIDMetric']
