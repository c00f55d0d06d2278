# asmr_pa100k.py on PETA (35 attributes, split 0).
#   python tools/train.py configs/asmr/asmr_peta.py
_base_ = [
    '../_base_/models/asmr_r50.py',
    '../_base_/datasets/peta.py',
    '../_base_/schedules/sgd_20e.py',
    '../_base_/runtimes/retrieval.py',
]
model = dict(
    par_model=dict(head=dict(num_classes=35)),
    regularizer=dict(num_groups=8))
train_dataloader = dict(batch_size=16)
