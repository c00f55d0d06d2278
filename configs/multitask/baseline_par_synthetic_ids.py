# baseline_par_synthetic.py on the identity-mode synthetic set: the frozen
# recognition model of the comparison's CLEAR and ASMR rows
# (par_synthetic_ids.py) ranking by its attribute scores alone. Test only:
#   python tools/test.py configs/multitask/baseline_par_synthetic_ids.py \
#       work_dirs/par_synthetic_ids/best_par_mA_epoch_18.pth
_base_ = ['./baseline_par_synthetic.py', '../_base_/datasets/synthetic_ids.py']
# the identity-mode synthetic set (_base_/datasets/synthetic_ids.py)
train_dataloader = dict(dataset={{_base_.synthetic_ids}})
val_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_dataloader = dict(dataset={{_base_.synthetic_ids}})
