# par_synthetic.py (the demo's recognition stage) on the identity-mode
# synthetic set: the recognition model of the comparison's CLEAR rows.
#   python tools/train.py configs/clear/par_synthetic_ids.py
_base_ = ['./par_synthetic.py']
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
