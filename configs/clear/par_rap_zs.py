# CLEAR on RAPzs (Rethinking_of_PAR's zero-shot split of RAP v2; the
# file's label_idx.eval columns: 53 attributes).
_base_ = [
    '../_base_/models/clear_paper.py',
    '../_base_/datasets/rap_zs.py',
    '../_base_/schedules/adam_20e.py',
    '../_base_/runtimes/par.py',
]
model = dict(head=dict(num_classes=53))
