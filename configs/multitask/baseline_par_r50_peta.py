# Table 4.2 "PAR Baseline (ResNet-50)": a single-task PAR model (ResNet-50,
# global average pooling, one linear layer, weighted BCE), evaluated by
# PARMetric and, for retrieval, by the Euclidean distance between the 0/1
# query and its attribute scores alone (AttrRetrievalMetric with
# ScoreRetrievalMetric). The paper trains it "as described in [11]"
# (Rethinking-of-PAR); the schedule below (SGD 1e-2, batch 64, 30 epochs,
# cosine) is our approximation. Its checkpoint initialises the backbone of
# mtt_r50_peta.py.
_base_ = [
    '../_base_/datasets/peta.py',
    '../_base_/runtimes/score_ranking.py',
]
model = dict(
    _scope_='clear_mm',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        init_cfg=dict(
            type='StrictPretrained',
            weights='torchvision/resnet50.IMAGENET1K_V1')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='PARHead',
        num_classes=35,
        in_channels=2048,
        loss=dict(type='WeightedBCELoss')))
max_epochs = 30
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    # end and T_max: the training length (train_cfg.max_epochs)
    dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-5)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
