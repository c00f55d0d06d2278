# A model that both recognises attributes and retrieves by them (paper 004):
# PARMetric and the fused distance (FusedRetrievalMetric, lambda_Ret = 0.2);
# the best checkpoint by retrieval mAP (retrieval.py). EmbeddingCollapseHook
# logs each epoch's mean pairwise cosine of the image embeddings in a batch
# (near 1: collapsed, every image pointing the same way).
_base_ = ['./retrieval.py']
val_evaluator = [
    dict(type='PARMetric'),
    dict(type='FusedRetrievalMetric', par_weight=0.2),
]
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='DatasetMetaHook'),
    dict(type='PrepareQueriesHook'),
    dict(type='EmbeddingCollapseHook'),
]
