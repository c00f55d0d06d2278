# Paper 004 Sec. 4: sgd_20e.py with lr 1e-2 (10x) for the attribute encoder;
# no weight decay on normalisation weights, biases, the position embedding
# and the attribute tokens (the usual transformer recipe; the paper states
# one weight decay, 5e-4). The attribute encoder's biases keep theirs
# (MMEngine applies a custom key instead of the bias/norm rules).
_base_ = ['./sgd_20e.py']
optim_wrapper = dict(
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'attr_encoder': dict(lr_mult=10.0),
            'pos_embed': dict(decay_mult=0.0),
            'attr_tokens': dict(decay_mult=0.0),
        }))
