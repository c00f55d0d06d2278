_base_ = [
    '../_base_/models/clear_paper.py',
    '../_base_/datasets/pa100k.py',
    '../_base_/schedules/adam_20e.py',
    '../_base_/runtimes/par.py',
]
model = dict(head=dict(num_classes=26))
