# Table 6's query forms on the synthetic pedestrians: attribute words embedded by the language model (W).
# HA+SP (the paper's) is ret_synthetic.py.
_base_ = ['./ret_synthetic.py']
model = dict(query_forms=('words', ), loss_weights=None)
