from .cross_fusion_neck import CrossFusionNeck

__all__ = ['CrossFusionNeck']
