# The identity-mode synthetic set of cerberus_synthetic.py (500 training
# persons x 4 images, 100 validation and 200 test persons, 3 cameras), so
# that every system of the one-protocol comparison (docs/results.md) runs
# on the same images. A config puts it on its loaders:
#   _base_ = ['./par_synthetic.py', '../_base_/datasets/synthetic_ids.py']
#   train_dataloader = dict(dataset={{_base_.synthetic_ids}})  (and val, test)
synthetic_ids = dict(
    data_root='data/synthetic_ids',
    num_train=2000,
    num_val=400,
    num_test=800,
    seed=0,
    identities=dict(images_per_id=4, num_cameras=3))
