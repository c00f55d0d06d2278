# asmr_synthetic.py on the identity-mode synthetic set, over the same
# frozen recognition model as ret_synthetic_ids.py.
#   python tools/train.py configs/asmr/asmr_synthetic_ids.py --cfg-options \
#       model.par_checkpoint=work_dirs/par_synthetic_ids/best_par_mA_epoch_18.pth
_base_ = ['./asmr_synthetic.py', '../_base_/datasets/synthetic_ids.py']
# the identity-mode synthetic set (_base_/datasets/synthetic_ids.py)
train_dataloader = dict(dataset={{_base_.synthetic_ids}})
val_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_evaluator = [
    dict(type='PARMetric'),
    dict(type='AttrRetrievalMetric'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
