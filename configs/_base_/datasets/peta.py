_base_ = ['./par_256x128.py']
# PETA random split 0, the 35 standard evaluated attributes.
dataset_type = 'PETA'
data_root = 'data/PETA'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='val'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
