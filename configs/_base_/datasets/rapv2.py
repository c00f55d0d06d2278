_base_ = ['./par_256x128.py']
# RAP v2 split 0 (partition_attribute); uncertain labels (2) are weighted
# out of the loss through gt_ignore.
dataset_type = 'RAPv2'
data_root = 'data/RAPv2'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='val'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
