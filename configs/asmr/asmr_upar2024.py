# asmr_pa100k.py on UPAR 2024 (40 attributes).
#   python tools/train.py configs/asmr/asmr_upar2024.py
_base_ = [
    '../_base_/models/asmr_r50.py',
    '../_base_/datasets/upar2024.py',
    '../_base_/schedules/sgd_20e.py',
    '../_base_/runtimes/retrieval.py',
]
model = dict(
    par_model=dict(head=dict(num_classes=40)),
    regularizer=dict(num_groups=12))
train_dataloader = dict(batch_size=16)
