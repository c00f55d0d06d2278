# Paper 004's multi-task transformer on the synthetic pedestrians, sized for
# a 2-core CPU and comparable row by row with ret_synthetic*.py and
# asmr_synthetic.py (same data, same PARMetric / AttrRetrievalMetric):
# multitask_r50.py with a narrow ResNet-18 (base width 32, last stride 1: a
# 256 x 8 x 4 map at 128 x 64 input) trained from scratch, then the
# paper's transformer head (2 x 2 patches, d = 384, 3 blocks, 12 heads),
# MA + ASMR and the fused distance (lambda_Ret = 0.2). par_synthetic.py's
# AdamW, warm-up and cosine instead of the paper's SGD fine-tuning recipe
# (nothing here is pre-trained), at half its lr, for 15 epochs, with the
# paper's 10x lr on the attribute encoder and no weight decay on norms,
# biases, the position embedding and the attribute tokens
# (sgd_multitask_20e.py). The image embedding has its BNNeck (the model's
# default ``bnneck=True``); ``--cfg-options model.bnneck=False`` gives the
# paper-literal FC, whose embeddings collapse here.
#   python tools/train.py configs/multitask/mtt_synthetic.py
_base_ = [
    '../_base_/models/multitask_r50.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adamw_scratch_18e.py',
    '../_base_/runtimes/multitask.py',
]
model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,
        strides=(1, 2, 2, 1),
        init_cfg=[
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]),  # mmpretrain ResNet's own: from scratch
    transformer=dict(in_channels=256),
    head=dict(num_classes=26),
    # ASMR over a random 1,024 of the 2,220 training combinations per step
    regularizer=dict(num_groups=10, max_proxies=1024))
optim_wrapper = dict(
    optimizer=dict(lr=5e-4),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'attr_encoder': dict(lr_mult=10.0),
            'pos_embed': dict(decay_mult=0.0),
            'attr_tokens': dict(decay_mult=0.0),
        }))
train_cfg = dict(max_epochs=15, val_interval=5)
