from .attributes import draw_attributes

__all__ = ['draw_attributes']
