from .par_head import PARHead

__all__ = ['PARHead']
