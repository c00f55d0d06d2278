# CLIP zero-shot PAR (paper 002, Sec. 6.3) on PA100K: no training; each
# attribute scored by a positive / negative prompt pair, exclusive groups
# by a softmax over their prompts; evaluated by PARMetric. The paper's
# model is CLIP ViT-B/16: save transformers' openai/clip-vit-base-patch16
# (model + tokenizer, save_pretrained) to the folder below. No checkpoint:
#   python tools/test.py configs/clip/clip_zeroshot_pa100k.py
_base_ = [
    '../_base_/datasets/pa100k.py',
    '../_base_/runtimes/par.py',
]
model = dict(
    type='CLIPZeroShotPAR',
    clip='checkpoints/clip-vit-base-patch16',
    groups='auto',
    person_crop=None)
# CLIP takes 0-1 RGB and applies its own mean/std (not ImageNet's).
data_preprocessor = dict(
    mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0], to_rgb=True)
# Test only: nothing to train or validate.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict()
