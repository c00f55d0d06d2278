# ret_synthetic.py (CLEAR HA+SP) on the identity-mode synthetic set over
# par_synthetic_ids.py's frozen recognition model; tested on complete
# queries (seen / unseen apart) and partial ones (k = 0..3 groups unknown).
#   python tools/train.py configs/clear/ret_synthetic_ids.py --cfg-options \
#       model.par_checkpoint=work_dirs/par_synthetic_ids/best_par_mA_epoch_18.pth
_base_ = ['./ret_synthetic.py', '../_base_/datasets/synthetic_ids.py']
# the identity-mode synthetic set (_base_/datasets/synthetic_ids.py)
train_dataloader = dict(dataset={{_base_.synthetic_ids}})
val_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_evaluator = [
    dict(type='PARMetric'),
    dict(type='AttrRetrievalMetric'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
