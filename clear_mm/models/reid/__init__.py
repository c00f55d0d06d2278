from .cerberus import Cerberus, align_feature_map, part_average_pool

__all__ = ['Cerberus', 'align_feature_map', 'part_average_pool']
