from .par_dataset_hook import PARDatasetHook
from .retrieval_hooks import RetrievalDatasetHook, RetrievalFeatureCacheHook

__all__ = [
    'PARDatasetHook', 'RetrievalDatasetHook', 'RetrievalFeatureCacheHook'
]
