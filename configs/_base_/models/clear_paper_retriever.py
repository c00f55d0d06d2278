# CLEAR's retrieval stage (retrieval_stages.py) on the paper-size
# recognition model (clear_paper.py).
_base_ = ['./clear_paper.py', './retrieval_stages.py']
model = dict(_base_.clear_stage, _delete_=True, par_model=_base_.model)
