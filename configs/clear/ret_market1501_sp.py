# Table 6 on Market-1501: queries are the soft pseudo-description only (SP).
# HA+SP (the paper's) is ret_market1501.py.
_base_ = ['./ret_market1501.py']
model = dict(query_forms=('soft', ), loss_weights=None)
