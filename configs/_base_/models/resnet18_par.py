# A plain MMPretrain ResNet-18 + global average pooling + PARHead (weighted
# BCE), the reference the tiny CLEAR is measured against in the
# learnability study (docs/history.md, "Learnability"); 128x64 input, from scratch.
model = dict(
    _scope_='clear_mm',
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='PARHead',
        num_classes=26,
        in_channels=512,
        loss=dict(type='WeightedBCELoss')))
