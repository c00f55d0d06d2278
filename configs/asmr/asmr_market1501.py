# asmr_pa100k.py on Market-1501 attributes (30 binarised attributes; no
# validation split: model selection on the test split).
#   python tools/train.py configs/asmr/asmr_market1501.py
_base_ = [
    '../_base_/models/asmr_r50.py',
    '../_base_/datasets/market1501_retrieval.py',
    '../_base_/schedules/sgd_20e.py',
    '../_base_/runtimes/retrieval.py',
]
model = dict(
    par_model=dict(head=dict(num_classes=30)),
    regularizer=dict(num_groups=9))
train_dataloader = dict(batch_size=16)
