from .casa import ChannelAwareSelfAttention

__all__ = ['ChannelAwareSelfAttention']
