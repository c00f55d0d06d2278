default_scope = 'clear_mm'
custom_imports = dict(imports=['clear_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Keep the last epoch (for --resume) and the best one by test-protocol
    # mA; each written atomically before the one it replaces is removed, and
    # never with non-finite weights.
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=1,
        save_best='par/mA',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # A checkpoint that does not fit the model is an error (partial_load
    # below allows it); resuming needs the optimizer and schedule states.
    checkpoint_load=dict(type='CheckpointLoadHook'),
    # Training stops at the first non-finite loss or gradient norm.
    finite_check=dict(type='FiniteCheckHook'),
    # Random states at each epoch start, restored by --resume (exact).
    rng_state=dict(type='RNGStateHook'),
)
partial_load = False  # tools: --partial-load
resume_without_state = False  # tools/train.py: --resume-without-state
# Hands the dataset's meta (schema, positive ratios, training labels) to the
# model before training and evaluation, and the retrieval queries' embeddings
# to AttrRetrievalMetric.
custom_hooks = [
    dict(type='DatasetMetaHook'),  # binds the dataset's schema
    dict(type='PrepareQueriesHook'),  # the retrieval metrics' queries
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
