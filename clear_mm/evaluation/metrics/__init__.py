from .attribute_accuracy import AttributeAccuracyMetric
from .dump_predictions import DumpPredictions
from .par_metric import PARMetric
from .partial_query_metric import PartialQueryMetric
from .reid_metric import ReIDMetric
from .retrieval_metric import (AttrRetrievalMetric, FusedRetrievalMetric,
                               ScoreRetrievalMetric)

__all__ = [
    'AttrRetrievalMetric', 'AttributeAccuracyMetric', 'DumpPredictions',
    'FusedRetrievalMetric', 'PARMetric', 'PartialQueryMetric', 'ReIDMetric',
    'ScoreRetrievalMetric'
]
