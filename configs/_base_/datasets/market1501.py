_base_ = ['./par_256x128.py']
# Market-1501 has no validation split: model selection uses the test split.
dataset_type = 'Market1501Attr'
data_root = 'data/Market-1501'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
