# retrieval.py for a retriever on a frozen recognition model (CLEAR's
# retrieval stage): f_par's training features are computed once
# (RetrievalFeatureCacheHook) and only the adapters train on them.
_base_ = ['./retrieval.py']
custom_hooks = [
    dict(type='DatasetMetaHook'),
    dict(type='PrepareQueriesHook'),
    dict(type='RetrievalFeatureCacheHook'),
]
