# The retrieval stage's schedule (the paper gives none; this is ours):
# AdamW (lr 1e-4, weight decay 1e-4), a cosine to 1e-6 over the training
# length (train_cfg.max_epochs), 30 epochs, validation every 5.
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-6)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
