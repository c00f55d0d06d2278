# CLEAR with the authors' earlier C2T-Net backbone setting (their UPAR 2024
# challenge entry): timm EVA02-L/14 + Swin-B with CASA, both from their full
# public checkpoints.
_base_ = [
    '../_base_/models/clear_c2t.py',
    '../_base_/datasets/upar2024.py',
    '../_base_/schedules/adam_20e.py',
    '../_base_/runtimes/par.py',
]
model = dict(head=dict(num_classes=40))
