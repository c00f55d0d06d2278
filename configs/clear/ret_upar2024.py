# CLEAR retrieval stage on UPAR 2024 (Table 4). The dev-test queries are the
# distinct attribute vectors of the test CSV; for the challenge's own query
# list set test_dataloader.dataset.query_file (a CSV of 0/1 rows, see
# UPAR2024).
#   python tools/train.py configs/clear/ret_upar2024.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_upar2024/best_*.pth
# The retrieval stage of ret_pa100k.py on this dataset's split and
# recognition model (par_upar2024.py: the same model, 40 attributes).
_base_ = ['./ret_pa100k.py']
dataset_type = 'UPAR2024'
data_root = 'data/UPAR2024'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
model = dict(par_model=dict(head=dict(num_classes=40)))
