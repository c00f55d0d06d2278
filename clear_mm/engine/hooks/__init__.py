from .dataset_meta_hook import DatasetMetaHook, training_meta
from .feature_cache_hook import RetrievalFeatureCacheHook

__all__ = ['DatasetMetaHook', 'RetrievalFeatureCacheHook', 'training_meta']
