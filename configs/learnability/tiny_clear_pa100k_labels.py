# Learnability study: tiny_clear_demo.py on renders whose label vectors
# are drawn from the real PA100K training labels (realistic imbalance and
# co-occurrence; the annotation file from "Dataset preparation").
_base_ = ['./tiny_clear_demo.py']
data_root = 'data/synthetic_pa100k_labels'
setting = dict(
    data_root=data_root, label_source='data/PA100K/annotation.mat')
train_dataloader = dict(dataset=setting)
val_dataloader = dict(dataset=setting)
test_dataloader = dict(dataset=setting)
