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
    _scope_='clear_mm',
    type='CLIPZeroShotPAR',
    clip='checkpoints/clip-vit-base-patch16',
    groups='auto',
    person_crop=None)
# CLIP takes 0-1 RGB and applies its own mean/std (not ImageNet's).
data_preprocessor = dict(
    mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0], to_rgb=True)
# PARMetric's mA/F1 plus paper 002's Table 4 rows (samples, precision,
# recall, F1, mA per named attribute; Bags is the union of the bag
# attributes) and every attribute's mA. On the test split here;
# clip_zeroshot_pa100k_table4.py evaluates all 100,000 images as the paper
# does (its sample counts are the whole set's).
test_evaluator = dict(
    type='PARMetric',
    classwise=True,
    named=dict(
        Female='Female',
        Hat='Hat',
        Glasses='Glasses',
        Bags=['HandBag', 'ShoulderBag', 'Backpack']))
# Test only: nothing to train or validate.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict()
