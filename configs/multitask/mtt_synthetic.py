# Paper 004's multi-task transformer on the synthetic pedestrians, sized for
# a 2-core CPU and comparable row by row with ret_synthetic*.py and
# asmr_synthetic.py (same data, same PARMetric / AttrRetrievalMetric):
# a narrow ResNet-18 (base width 32, last stride 1: a 256 x 8 x 4 map at
# 128 x 64 input) trained from scratch, then the paper's transformer head
# (2 x 2 patches, d = 384, 3 blocks, 12 heads), MA + ASMR and the fused
# distance (lambda_Ret = 0.2). AdamW instead of the paper's SGD fine-tuning
# recipe, because nothing here is pre-trained.
#   python tools/train.py configs/multitask/mtt_synthetic.py
_base_ = ['../clear/par_synthetic.py']
model = dict(
    _delete_=True,
    type='MultiTaskAttributeTransformer',
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=32,
        strides=(1, 2, 2, 1),
        out_indices=(3, )),
    transformer=dict(
        type='AttributeTokenTransformer',
        in_channels=256,
        feat_size=(8, 4),
        patch_size=2,
        embed_dims=384,
        num_layers=3,
        num_heads=12),
    head=dict(
        type='AttributeTokenHead',
        num_classes=26,
        in_channels=384,
        loss=dict(type='WeightedBCELoss')),
    embed_dims=128,
    encoder_channels=(512, 128),
    ma_loss=dict(type='AngularMarginLoss', scale=12.0, margin=0.2),
    ma_weight=1.0,
    # ASMR over a random 1,024 of the 2,220 training combinations per step
    regularizer=dict(
        type='ASMRLoss', num_groups=10, loss_weight=1.0, max_proxies=1024))
val_evaluator = [
    dict(type='PARMetric'),
    dict(type='FusedRetrievalMetric', par_weight=0.2),
]
test_evaluator = val_evaluator
default_hooks = dict(
    checkpoint=dict(save_best='retrieval/mAP', rule='greater'))
# par_synthetic.py's AdamW, warm-up and cosine (to the end of training) at
# half its learning rate, for 15 epochs.
max_epochs = 15
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
