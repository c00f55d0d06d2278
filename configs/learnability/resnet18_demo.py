# Learnability study: a plain ResNet-18 + GAP + PARHead from scratch with
# the synthetic recipe (AdamW, lr 1e-3, the better of 1e-3 and 5e-4 for it)
# for 6 epochs on the demo's set.
#   python tools/train.py configs/learnability/resnet18_demo.py
_base_ = [
    '../_base_/models/resnet18_par.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adamw_scratch_18e.py',
    '../_base_/runtimes/par.py',
]
train_cfg = dict(max_epochs=6, val_interval=3)
