from .par_metric import PARMetric
from .reid_metric import ReIDMetric
from .retrieval_metric import (AttrRetrievalMetric, FusedRetrievalMetric,
                               ScoreRetrievalMetric)

__all__ = [
    'AttrRetrievalMetric', 'FusedRetrievalMetric', 'PARMetric', 'ReIDMetric',
    'ScoreRetrievalMetric'
]
