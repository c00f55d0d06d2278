# par_synthetic.py (the demo's recognition stage) on the identity-mode
# synthetic set: the recognition model of the comparison's CLEAR rows.
#   python tools/train.py configs/clear/par_synthetic_ids.py
_base_ = ['./par_synthetic.py', '../_base_/datasets/synthetic_ids.py']
# the identity-mode synthetic set (_base_/datasets/synthetic_ids.py)
train_dataloader = dict(dataset={{_base_.synthetic_ids}})
val_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_dataloader = dict(dataset={{_base_.synthetic_ids}})
