# CLEAR recognition on PETA's 65 attributes (all 105 label columns, Table 1):
# the frozen f_par of ret_peta.py.
#   python tools/train.py configs/clear/par_peta_65.py
_base_ = ['./par_peta.py']
peta_65 = dict(all_attributes=True)  # as _base_/datasets/peta_65.py
train_dataloader = dict(dataset=peta_65)
val_dataloader = dict(dataset=peta_65)
test_dataloader = dict(dataset=peta_65)
model = dict(head=dict(num_classes=105))
