# CLEAR retrieval stage (Sec. 3.3) on PA100K (Table 3): the frozen
# recognition model of par_pa100k.py + f_vis, f_attr, f_text, HA+SP queries.
# Queries: the distinct attribute vectors of the test split; gallery: the
# test images (docs/method_notes.md, "Evaluation protocols").
#   python tools/train.py configs/clear/ret_pa100k.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_pa100k/best_*.pth
#   python tools/test.py configs/clear/ret_pa100k.py work_dirs/ret_pa100k/best_*.pth
_base_ = ['./par_pa100k.py']

model = dict(
    _delete_=True,
    type='AttributeRetriever',
    par_model={{_base_.model}},
    par_checkpoint=None,  # the recognition checkpoint: set it
    query_forms=('hard', 'soft'),  # HA+SP
    embed_dims=128,  # dim_query (Table 7); f_vis gives 2 x 128
    hidden_channels=512,
    language_model=dict(
        type='LanguageModelEncoder',
        name_or_path='openai-gpt',  # the paper's GPT (Radford et al. 2018)
        num_tokens=64,  # N_w
        cache_dir='data/text_embeddings'),
    loss=dict(type='AngularMarginLoss', scale=12.0, margin=0.2),
    loss_weights=dict(hard=0.3, soft=0.7),  # beta_1, beta_2 (Eq. 10)
)

# f_par is frozen: its training features are computed once (the cache hook)
# and only the adapters train on them.
train_dataloader = dict(batch_size=128)
custom_hooks = [
    dict(type='DatasetMetaHook'),
    dict(type='RetrievalFeatureCacheHook'),
]
val_evaluator = dict(_delete_=True, type='AttrRetrievalMetric')
test_evaluator = dict(_delete_=True, type='AttrRetrievalMetric')
default_hooks = dict(
    checkpoint=dict(save_best='retrieval/mAP', rule='greater'))

# The paper gives no retrieval schedule; this is ours.
max_epochs = 30
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))
param_scheduler = [
    # end and T_max: the training length (train_cfg.max_epochs)
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-6)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
