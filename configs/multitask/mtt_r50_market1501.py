# mtt_r50_peta.py (paper 004's multi-task transformer, ResNet-50) on
# Market-1501 (30 binarised attributes; model selection on the test split).
#   python tools/train.py configs/multitask/mtt_r50_market1501.py
_base_ = [
    '../_base_/models/multitask_r50.py',
    '../_base_/datasets/market1501_retrieval.py',
    '../_base_/schedules/sgd_multitask_20e.py',
    '../_base_/runtimes/multitask.py',
]
model = dict(head=dict(num_classes=30), regularizer=dict(num_groups=9))
train_dataloader = dict(batch_size=16)
