from .cerberus_hook import CerberusDatasetHook
from .par_dataset_hook import PARDatasetHook
from .retrieval_hooks import RetrievalDatasetHook, RetrievalFeatureCacheHook

__all__ = [
    'CerberusDatasetHook', 'PARDatasetHook', 'RetrievalDatasetHook',
    'RetrievalFeatureCacheHook'
]
