from .render import render_pedestrian
from .synthetic_pedestrians import (ATTRIBUTES, SyntheticPedestrians,
                                    generate_synthetic_dataset,
                                    sample_attributes)

__all__ = [
    'ATTRIBUTES', 'SyntheticPedestrians', 'generate_synthetic_dataset',
    'render_pedestrian', 'sample_attributes'
]
