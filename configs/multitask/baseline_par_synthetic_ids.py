# baseline_par_synthetic.py on the identity-mode synthetic set: the frozen
# recognition model of the comparison's CLEAR and ASMR rows
# (par_synthetic_ids.py) ranking by its attribute scores alone. Test only:
#   python tools/test.py configs/multitask/baseline_par_synthetic_ids.py \
#       work_dirs/par_synthetic_ids/best_par_mA_epoch_18.pth
_base_ = ['./baseline_par_synthetic.py']
# The identity-mode synthetic set of cerberus_synthetic.py (500 training
# persons x 4 images, 100 validation and 200 test persons, 3 cameras), so
# that every system of the README's comparison runs on the same images.
ids = dict(
    data_root='data/synthetic_ids',
    num_train=2000,
    num_val=400,
    num_test=800,
    seed=0,
    identities=dict(images_per_id=4, num_cameras=3))
train_dataloader = dict(dataset=ids)
val_dataloader = dict(dataset=ids)
test_dataloader = dict(dataset=ids)
