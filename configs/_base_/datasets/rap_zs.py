# RAPzs, the zero-shot identity split of Rethinking_of_PAR (no test
# identity is seen in training), from its split file
# data/RAPv2/dataset_zs_run0.pkl
# (docs/datasets.md). As its authors do: train on trainval,
# select and test on test; positive ratios from trainval.
_base_ = ['./par_256x128.py']
dataset_type = 'RAPPickle'
data_root = 'data/RAPv2'
split_file = dict(ann_file='dataset_zs_run0.pkl', pos_ratio_split='trainval')
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='trainval',
        **split_file))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', **split_file))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', **split_file))
