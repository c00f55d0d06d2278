# CLEAR retrieval stage (Sec. 3.3) on PA100K (Table 3): the frozen
# recognition model of par_pa100k.py + f_vis, f_attr, f_text, HA+SP queries.
# Queries: the distinct attribute vectors of the test split; gallery: the
# test images (docs/method_notes.md, "Evaluation protocols").
#   python tools/train.py configs/clear/ret_pa100k.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_pa100k/best_*.pth
#   python tools/test.py configs/clear/ret_pa100k.py work_dirs/ret_pa100k/best_*.pth
_base_ = [
    '../_base_/models/clear_paper_retriever.py',
    '../_base_/datasets/pa100k.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/runtimes/retrieval_frozen.py',
]
model = dict(par_model=dict(head=dict(num_classes=26)))
# Only the adapters train, on cached features: batches can be large.
train_dataloader = dict(batch_size=128)
