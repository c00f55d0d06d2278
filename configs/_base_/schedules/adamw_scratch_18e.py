# For models trained from scratch on a CPU (the synthetic configs): AdamW
# (lr 1e-3, weight decay 0.05, gradients clipped at norm 5), a linear
# warm-up over 100 iterations, then a cosine to 1e-5 over the training
# length (MMEngine takes train_cfg.max_epochs for its end and T_max),
# validation every 3 of 18 epochs. A larger lr than CLEAR's 1e-5
# fine-tuning recipe (adam_20e.py), because nothing here is pre-trained.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-5),
]
train_cfg = dict(by_epoch=True, max_epochs=18, val_interval=3)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=16)
