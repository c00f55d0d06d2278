from .weighted_bce_loss import WeightedBCELoss

__all__ = ['WeightedBCELoss']
