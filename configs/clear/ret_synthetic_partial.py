# Partial-query evaluation (PartialQueryMetric: k = 0..3 attribute groups
# of each test combination unknown; relevant = matching on the specified
# attributes; seen/unseen combinations) of a ret_synthetic.py checkpoint,
# next to the complete-query protocol:
#   python tools/test.py configs/clear/ret_synthetic_partial.py \
#       work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth
_base_ = ['./ret_synthetic.py']
test_evaluator = [
    dict(type='AttrRetrievalMetric'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
