# Partial-query evaluation (PartialQueryMetric: k = 0..3 attribute groups of
# each test combination unknown, seeded; relevant = matching on the
# specified attributes; seen / unseen combinations at k = 0) of a
# ret_upar2024.py checkpoint, next to the complete-query protocol:
#   python tools/test.py configs/clear/ret_upar2024_partial.py CHECKPOINT
_base_ = ['./ret_upar2024.py']
test_evaluator = [
    dict(type='AttrRetrievalMetric'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
