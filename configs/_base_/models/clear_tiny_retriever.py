# CLEAR's retrieval stage (retrieval_stages.py) on the tiny recognition
# model (clear_tiny.py), with a 256-wide hidden layer in the adapters.
_base_ = ['./clear_tiny.py', './retrieval_stages.py']
model = dict(
    _base_.clear_stage,
    _delete_=True,
    par_model=_base_.model,
    hidden_channels=256)
