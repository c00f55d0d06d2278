from .attribute_visualization_hook import AttributeVisualizationHook
from .checkpoint_hook import (AtomicLocalBackend, SafeCheckpointHook,
                              non_finite_parameters)
from .checkpoint_load_hook import CheckpointLoadHook
from .dataset_meta_hook import DatasetMetaHook, training_meta
from .embedding_collapse_hook import EmbeddingCollapseHook
from .feature_cache_hook import RetrievalFeatureCacheHook
from .finite_check_hook import FiniteCheckHook
from .prepare_queries_hook import (PrepareQueriesHook,
                                   model_training_combinations,
                                   prepare_partial_queries)
from .rng_state_hook import RNGStateHook, get_rng_states, set_rng_states

__all__ = [
    'AtomicLocalBackend', 'AttributeVisualizationHook',
    'CheckpointLoadHook', 'DatasetMetaHook', 'EmbeddingCollapseHook',
    'FiniteCheckHook', 'PrepareQueriesHook', 'RNGStateHook',
    'RetrievalFeatureCacheHook', 'model_training_combinations',
    'prepare_partial_queries',
    'SafeCheckpointHook', 'get_rng_states',
    'non_finite_parameters', 'set_rng_states', 'training_meta'
]
