# CLEAR retrieval stage on Market-1501 attributes (Tables 3, 6, 7): the 30
# binarised attributes of par_market1501.py (the paper counts 27, with age
# as one 4-way attribute). Market-1501 has no validation split; model
# selection and test on Table 1's retrieval gallery (query/ +
# bounding_box_test, _base_/datasets/market1501_retrieval.py).
#   python tools/train.py configs/clear/ret_market1501.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_market1501/best_*.pth
_base_ = [
    '../_base_/models/clear_paper_retriever.py',
    '../_base_/datasets/market1501_retrieval.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/runtimes/retrieval_frozen.py',
]
model = dict(par_model=dict(head=dict(num_classes=30)))
train_dataloader = dict(batch_size=128)
