# A pedestrian-attribute recognition run: the shared runtime, evaluated by
# PARMetric (mA, instance-based accuracy, precision, recall, F1); the best
# checkpoint by mA (default_runtime.py).
_base_ = ['../default_runtime.py']
val_evaluator = dict(type='PARMetric')
test_evaluator = dict(type='PARMetric')
