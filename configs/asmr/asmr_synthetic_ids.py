# asmr_synthetic.py on the identity-mode synthetic set, over the same
# frozen recognition model as ret_synthetic_ids.py.
#   python tools/train.py configs/asmr/asmr_synthetic_ids.py --cfg-options \
#       model.par_checkpoint=work_dirs/par_synthetic_ids/best_par_mA_epoch_18.pth
_base_ = ['./asmr_synthetic.py']
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
test_evaluator = [
    dict(type='PARMetric'),
    dict(type='AttrRetrievalMetric'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
