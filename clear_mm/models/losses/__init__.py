from .angular_margin_loss import AngularMarginLoss
from .asmr_loss import ASMRLoss
from .cerberus_losses import (IdentificationLoss, PrototypeRegularizer,
                              SemanticGuidanceLoss, adaptive_margins,
                              batch_hard_soft_margin_triplet)
from .weighted_bce_loss import WeightedBCELoss

__all__ = [
    'AngularMarginLoss', 'ASMRLoss', 'IdentificationLoss',
    'PrototypeRegularizer', 'SemanticGuidanceLoss', 'WeightedBCELoss',
    'adaptive_margins', 'batch_hard_soft_margin_triplet'
]
