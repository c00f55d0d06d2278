# Table 6's query forms on the synthetic pedestrians: hard binary attributes only (HA).
# HA+SP (the paper's) is ret_synthetic.py.
_base_ = ['./ret_synthetic.py']
model = dict(query_forms=('hard', ), loss_weights=None)
