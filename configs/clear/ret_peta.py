# CLEAR retrieval stage on PETA (Table 3), split 0 and the 35 standard
# attributes of par_peta.py. The paper's retrieval uses 65 PETA attributes
# (Table 1); set all_attributes=True in the datasets (and num_classes=105
# in par_peta.py) for a larger vocabulary.
#   python tools/train.py configs/clear/ret_peta.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_peta/best_*.pth
_base_ = ['./par_peta.py']

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
    dict(type='RetrievalDatasetHook'),
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
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         T_max=max_epochs, eta_min=1e-6)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
