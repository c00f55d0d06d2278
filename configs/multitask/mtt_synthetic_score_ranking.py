# mtt_synthetic.py's checkpoint ranked by its attribute scores alone (no
# joint embedding): the "scores only" row of the comparison (docs/history.md).
#   python tools/test.py configs/multitask/mtt_synthetic_score_ranking.py \
#       work_dirs/mtt_synthetic/epoch_10.pth
_base_ = ['./mtt_synthetic.py']
val_evaluator = [dict(type='PARMetric'), dict(type='ScoreRetrievalMetric')]
test_evaluator = val_evaluator
