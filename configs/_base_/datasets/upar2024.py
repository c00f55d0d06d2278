_base_ = ['./par_256x128.py']
# UPAR 2024: train CSV, validation CSV, and the dev-test CSV for testing
# (docs/datasets.md gives the file names).
dataset_type = 'UPAR2024'
data_root = 'data/UPAR2024'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='val'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
