# The default demo: the tiny CLEAR on the synthetic pedestrians, on a CPU.
# The 256x128 images are resized to 128x64 (the tiny preset's input), and
# the model is trained from scratch (adamw_scratch_18e.py: a larger lr than
# the paper's 1e-5 fine-tuning recipe, smaller batches for more updates in
# the time budget). The transformer branches train at lr 2e-4: on renders
# with real PA100K labels they learned better the lower their rate, from
# 1e-3 down to 2e-4 (docs/history.md, "Learnability"; batch 16 is small for a
# transformer). The convolutional parts, the preset's ResNet stem and the
# fresh fusion neck and head, take five times that (1e-3, the
# ResNet-18's rate) with weight decay on every tensor (MMEngine's custom
# keys override its norm and bias rules); the branches' norms, biases,
# position embeddings, class token and Swin relative position tables have
# no weight decay (the usual transformer recipe).
_base_ = [
    '../_base_/models/clear_tiny.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adamw_scratch_18e.py',
    '../_base_/runtimes/par.py',
]
model = dict(head=dict(num_classes=26))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'backbone.stem': dict(lr_mult=5.0),
            'neck': dict(lr_mult=5.0),
            'head': dict(lr_mult=5.0),
            'pos_embed': dict(decay_mult=0.0),
            'cls_token': dict(decay_mult=0.0),
            'relative_position_bias_table': dict(decay_mult=0.0),
        }))
