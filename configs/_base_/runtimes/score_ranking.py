# A recognition model evaluated as a PAR model and, for attribute retrieval,
# by the distance between each 0/1 query and the attribute scores alone
# (paper 004's "PAR baseline" row; no joint embedding).
_base_ = ['./par.py']
val_evaluator = [dict(type='PARMetric'), dict(type='ScoreRetrievalMetric')]
test_evaluator = val_evaluator
