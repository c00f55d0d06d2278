from .angular_margin_loss import AngularMarginLoss
from .asmr_loss import ASMRLoss
from .weighted_bce_loss import WeightedBCELoss

__all__ = ['AngularMarginLoss', 'ASMRLoss', 'WeightedBCELoss']
