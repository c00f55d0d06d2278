# ASMR baseline (Jeong et al., ICCV 2021) on PETA (35 attributes, split 0): a ResNet-50
# (ImageNet weights: set its init_cfg to a local checkpoint) trained end to
# end with the attribute encoder N -> 512 -> 128 -> 128 and the visual head
# 2048 -> 512 -> 128 -> 128, MA loss + ASMR regularizer, evaluated by the
# same AttrRetrievalMetric as CLEAR (ret_peta.py).
#   python tools/train.py configs/asmr/asmr_peta.py
# asmr_pa100k.py on this dataset.
_base_ = ['./asmr_pa100k.py']
dataset_type = 'PETA'
data_root = 'data/PETA'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
model = dict(
    par_model=dict(head=dict(num_classes=35)),
    regularizer=dict(num_groups=8))
