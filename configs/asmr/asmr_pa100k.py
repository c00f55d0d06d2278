# ASMR baseline (Jeong et al., ICCV 2021) on PA100K: a ResNet-50
# (ImageNet weights: set its init_cfg to a local checkpoint) trained end to
# end with the attribute encoder N -> 512 -> 128 -> 128 and the visual head
# 2048 -> 512 -> 128 -> 128, MA loss + ASMR regularizer, evaluated by the
# same AttrRetrievalMetric as CLEAR (ret_pa100k.py).
#   python tools/train.py configs/asmr/asmr_pa100k.py
_base_ = ['../clear/ret_pa100k.py']
model = dict(
    par_model=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=50, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        # unused by retrieval; gives the feature size and attribute count
        head=dict(
            type='MultiLabelLinearClsHead',
            num_classes={{_base_.model.par_model.head.num_classes}},
            in_channels=2048)),
    freeze_par=False,
    query_forms=('hard', ),
    loss_weights=None,
    embed_dims=128,
    hidden_channels=(512, 128),
    regularizer=dict(type='ASMRLoss', num_groups=10, loss_weight=1.0))
# f_par trains: no feature cache; the lr of the paper 004 setup (SGD 1e-3,
# decayed by 0.1 after 10 of 20 epochs).
custom_hooks = [dict(type='DatasetMetaHook')]
train_dataloader = dict(batch_size=16)
max_epochs = 20
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(
        type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
