from .checkpoint_hook import (AtomicLocalBackend, SafeCheckpointHook,
                              atomic_write, non_finite_parameters)
from .checkpoint_load_hook import CheckpointLoadHook
from .dataset_meta_hook import DatasetMetaHook, training_meta
from .feature_cache_hook import RetrievalFeatureCacheHook
from .finite_check_hook import FiniteCheckHook

__all__ = [
    'AtomicLocalBackend', 'CheckpointLoadHook', 'DatasetMetaHook',
    'FiniteCheckHook', 'RetrievalFeatureCacheHook', 'SafeCheckpointHook',
    'atomic_write', 'non_finite_parameters', 'training_meta'
]
