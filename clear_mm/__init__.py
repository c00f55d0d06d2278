"""clear_mm: pedestrian attribute recognition and attribute-based person
search for MMPretrain. Importing it registers its modules into its own
registries (``clear_mm.registry``, scope ``clear_mm``); MMPretrain's and
MMEngine's stay as they were."""
from . import datasets, engine, evaluation, models, structures  # noqa: F401
from .version import __version__

__all__ = ['__version__']
