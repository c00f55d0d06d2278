from .angular_margin_loss import AngularMarginLoss
from .weighted_bce_loss import WeightedBCELoss

__all__ = ['AngularMarginLoss', 'WeightedBCELoss']
