# An attribute-retrieval run (queries: the distinct attribute vectors of the
# evaluated split; gallery: its images): AttrRetrievalMetric (R-1/5/10, mAP)
# on the query embeddings PrepareQueriesHook has the model prepare before each
# evaluation; the best checkpoint by mAP.
_base_ = ['../default_runtime.py']
val_evaluator = dict(type='AttrRetrievalMetric')
test_evaluator = dict(type='AttrRetrievalMetric')
default_hooks = dict(
    checkpoint=dict(save_best='retrieval/mAP', rule='greater'))
