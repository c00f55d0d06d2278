# A Cerberus run (paper 003): one model evaluated for person
# re-identification (image queries), APS (attribute queries by SID
# prototypes) and PAR (nearest prototypes); iteration-based training, a
# checkpoint every 4,000 iterations and the best by reID mAP.
_base_ = ['../default_runtime.py']
val_evaluator = [
    dict(type='ReIDMetric'),
    dict(type='AttrRetrievalMetric', prefix='aps'),
    dict(type='PARMetric'),
]
test_evaluator = val_evaluator
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=4000, save_best='reid/mAP',
                    rule='greater'),
    logger=dict(interval=100))
log_processor = dict(by_epoch=False)
