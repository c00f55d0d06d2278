# The retrieval stages that wrap a visual model (`par_model`) into a
# retriever; a model config wraps its `model` with
#   model = dict(_base_.clear_stage, _delete_=True, par_model=_base_.model)
# (clear_paper_retriever.py, clear_tiny_retriever.py, asmr_r50.py).
#
# CLEAR's retrieval stage (Sec. 3.3): the frozen recognition model f_par +
# f_vis, f_attr, f_text, HA+SP queries, margin learning.
clear_stage = dict(
    _scope_='clear_mm',
    type='AttributeRetriever',
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
# The ASMR baseline (Jeong et al., ICCV 2021; ASMRRetriever): hard queries,
# attribute encoder N -> 512 -> 128 -> 128 and visual head -> 512 -> 128 ->
# 128, the MA loss (every training combination a proxy) + the ASMR
# regularizer (lambda_ASMR: the original value is not in the papers we
# have; 1.0 is ours). The visual model trains end to end unless
# freeze_par=True.
asmr_stage = dict(
    _scope_='clear_mm',
    type='ASMRRetriever',
    par_checkpoint=None,
    embed_dims=128,
    hidden_channels=(512, 128),
    loss=dict(type='AngularMarginLoss', scale=12.0, margin=0.2),
    regularizer=dict(type='ASMRLoss', num_groups=10, loss_weight=1.0))
