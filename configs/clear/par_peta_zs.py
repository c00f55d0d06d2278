# CLEAR on PETAzs (Rethinking_of_PAR's zero-shot split; 35 attributes).
_base_ = [
    '../_base_/models/clear_paper.py',
    '../_base_/datasets/peta_zs.py',
    '../_base_/schedules/adam_20e.py',
    '../_base_/runtimes/par.py',
]
model = dict(head=dict(num_classes=35))
