# CLEAR's fine-tuning recipe as we read it (docs/method_notes.md,
# "Cross-transformers", schedule): Adam, lr 1e-5, batch 64, 20 epochs.
# The paper gives no schedule; we decay the lr with a cosine to 1% of it.
# The cosine's end and T_max are left out: MMEngine takes the training
# length, so train_cfg.max_epochs alone sets the schedule's length.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-5, weight_decay=0.0))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-7)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
