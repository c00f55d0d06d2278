# ASMR baseline (Jeong et al., ICCV 2021) on Market-1501 attributes: a ResNet-50
# (ImageNet weights: set its init_cfg to a local checkpoint) trained end to
# end with the attribute encoder N -> 512 -> 128 -> 128 and the visual head
# 2048 -> 512 -> 128 -> 128, MA loss + ASMR regularizer, evaluated by the
# same AttrRetrievalMetric as CLEAR (ret_market1501.py).
#   python tools/train.py configs/asmr/asmr_market1501.py
# asmr_pa100k.py on this dataset.
_base_ = ['./asmr_pa100k.py']
dataset_type = 'Market1501Attr'
data_root = 'data/Market-1501'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
model = dict(
    par_model=dict(head=dict(num_classes=30)),
    regularizer=dict(num_groups=9))
