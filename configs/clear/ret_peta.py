# CLEAR retrieval stage on PETA (Table 3), split 0 and the 35 standard
# attributes of par_peta.py. The paper's retrieval uses 65 PETA attributes
# (Table 1); set all_attributes=True in the datasets (and num_classes=105
# in par_peta.py) for a larger vocabulary.
#   python tools/train.py configs/clear/ret_peta.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_peta/best_*.pth
# The retrieval stage of ret_pa100k.py on this dataset's split and
# recognition model (par_peta.py: the same model, 35 attributes).
_base_ = ['./ret_pa100k.py']
dataset_type = 'PETA'
data_root = 'data/PETA'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
model = dict(par_model=dict(head=dict(num_classes=35)))
