# Table 6's query forms on the synthetic pedestrians: the soft pseudo-description only (SP).
# HA+SP (the paper's) is ret_synthetic.py.
_base_ = ['./ret_synthetic.py']
model = dict(query_forms=('soft', ), loss_weights=None)
