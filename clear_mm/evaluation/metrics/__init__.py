from .par_metric import PARMetric

__all__ = ['PARMetric']
