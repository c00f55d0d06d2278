# Paper 004's multi-task transformer (ResNet-50) on Market-1501: PAR and
# attribute-based retrieval from one model, evaluated like CLEAR (PARMetric)
# and by the fused distance (AttrRetrievalMetric, lambda_Ret = 0.2).
#   python tools/train.py configs/multitask/mtt_r50_market1501.py
# mtt_r50_peta.py (schedule, hooks, metrics) on this dataset.
_base_ = ['./mtt_r50_peta.py']
dataset_type = 'Market1501Attr'
data_root = 'data/Market-1501'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
model = dict(head=dict(num_classes=30), regularizer=dict(num_groups=9))
