# CLEAR retrieval stage on UPAR 2024 (Table 4). The dev-test queries are the
# distinct attribute vectors of the test CSV; for the challenge's own query
# list set test_dataloader.dataset.query_file (a CSV of 0/1 rows, see
# UPAR2024).
#   python tools/train.py configs/clear/ret_upar2024.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_upar2024/best_*.pth
_base_ = [
    '../_base_/models/clear_paper_retriever.py',
    '../_base_/datasets/upar2024.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/runtimes/retrieval_frozen.py',
]
model = dict(par_model=dict(head=dict(num_classes=40)))
train_dataloader = dict(batch_size=128)
