# Paper 004 Sec. 4 (also its ASMR baseline): SGD (momentum 0.9, weight
# decay 5e-4), lr 1e-3, batch 16, 20 epochs, the lr decayed by 0.1 after 10.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=16)
