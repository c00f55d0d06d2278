# Table 4.2, "Multi-task Transformer (ResNet-50)", PETA (35 attributes,
# split 0), and the base of the Table 4.3 rows (mtt_r50_peta_*.py): PAR and
# attribute-based retrieval from one model, evaluated like CLEAR (PARMetric)
# and by the fused distance (FusedRetrievalMetric, lambda_Ret = 0.2).
#   python tools/train.py configs/multitask/mtt_r50_peta.py
_base_ = [
    '../_base_/models/multitask_r50.py',
    '../_base_/datasets/peta.py',
    '../_base_/schedules/sgd_multitask_20e.py',
    '../_base_/runtimes/multitask.py',
]
model = dict(head=dict(num_classes=35), regularizer=dict(num_groups=8))
train_dataloader = dict(batch_size=16)
