# Learnability study (docs/history.md, "Learnability"): the tiny CLEAR with the demo
# recipe (par_synthetic.py) for 6 epochs on one of four synthetic settings;
# resnet18_*.py is the same with a ResNet-18. This one: the demo's set.
#   python tools/train.py configs/learnability/tiny_clear_demo.py
_base_ = ['../clear/par_synthetic.py']
train_cfg = dict(max_epochs=6, val_interval=3)
