from .loading import LoadPedestrianImage

__all__ = ['LoadPedestrianImage']
