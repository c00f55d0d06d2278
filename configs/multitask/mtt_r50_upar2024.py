# mtt_r50_peta.py (paper 004's multi-task transformer, ResNet-50) on
# UPAR 2024 (40 attributes).
#   python tools/train.py configs/multitask/mtt_r50_upar2024.py
_base_ = [
    '../_base_/models/multitask_r50.py',
    '../_base_/datasets/upar2024.py',
    '../_base_/schedules/sgd_multitask_20e.py',
    '../_base_/runtimes/multitask.py',
]
model = dict(head=dict(num_classes=40), regularizer=dict(num_groups=12))
train_dataloader = dict(batch_size=16)
