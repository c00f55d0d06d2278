# The ASMR baseline (retrieval_stages.py) as its paper trains it: a
# ImageNet ResNet-50 (torchvision's weights) trained end to end with the
# heads.
_base_ = ['./retrieval_stages.py']
model = dict(
    _base_.asmr_stage,
    par_model=dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet',
            depth=50,
            out_indices=(3, ),
            init_cfg=dict(
                type='StrictPretrained',
                weights='torchvision/resnet50.IMAGENET1K_V1')),
        neck=dict(type='GlobalAveragePooling'),
        # unused by retrieval; gives the feature size and attribute count
        head=dict(
            type='MultiLabelLinearClsHead', num_classes=26,
            in_channels=2048)))
