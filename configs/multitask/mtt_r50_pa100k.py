# Paper 004's multi-task transformer (ResNet-50) on PA100K: PAR and
# attribute-based retrieval from one model, evaluated like CLEAR (PARMetric)
# and by the fused distance (AttrRetrievalMetric, lambda_Ret = 0.2).
#   python tools/train.py configs/multitask/mtt_r50_pa100k.py
_base_ = [
    '../_base_/models/multitask_r50.py',
    '../_base_/datasets/pa100k.py',
    '../_base_/schedules/sgd_multitask_20e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(num_classes=26),
    regularizer=dict(num_groups=10))
train_dataloader = dict(batch_size=16)
custom_hooks = [dict(type='PARDatasetHook'), dict(type='RetrievalDatasetHook')]
val_evaluator = [
    dict(type='PARMetric'),
    dict(type='AttrRetrievalMetric', par_weight=0.2),
]
test_evaluator = val_evaluator
default_hooks = dict(
    checkpoint=dict(save_best='retrieval/mAP', rule='greater'))
