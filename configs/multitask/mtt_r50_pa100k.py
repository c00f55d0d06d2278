# mtt_r50_peta.py (paper 004's multi-task transformer, ResNet-50) on
# PA100K (26 attributes).
#   python tools/train.py configs/multitask/mtt_r50_pa100k.py
_base_ = [
    '../_base_/models/multitask_r50.py',
    '../_base_/datasets/pa100k.py',
    '../_base_/schedules/sgd_multitask_20e.py',
    '../_base_/runtimes/multitask.py',
]
model = dict(head=dict(num_classes=26), regularizer=dict(num_groups=10))
train_dataloader = dict(batch_size=16)
