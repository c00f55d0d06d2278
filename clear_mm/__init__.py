"""clear_mm: CLEAR pedestrian attribute recognition and retrieval for
MMPretrain. Importing it registers every module into mmpretrain's
registries and makes MMEngine checkpoints load safely on torch >= 2.6."""
from .utils import checkpoint  # noqa: F401  (registers the safe loader)
from . import datasets, engine, evaluation, models  # noqa: F401,E402
from .version import __version__

__all__ = ['__version__']
