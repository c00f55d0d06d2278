# CLEAR retrieval stage on Market-1501 attributes (Table 3, 6, 7): the 30
# binarised attributes of par_market1501.py (the paper counts 27, with age
# as one 4-way attribute). Market-1501 has no validation split; model
# selection uses the test split as in par_market1501.py.
#   python tools/train.py configs/clear/ret_market1501.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_market1501/best_*.pth
# The retrieval stage of ret_pa100k.py on this dataset's split and
# recognition model (par_market1501.py: the same model, 30 attributes).
_base_ = ['./ret_pa100k.py']
dataset_type = 'Market1501Attr'
data_root = 'data/Market-1501'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
model = dict(par_model=dict(head=dict(num_classes=30)))
