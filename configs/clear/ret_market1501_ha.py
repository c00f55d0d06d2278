# Table 6 on Market-1501: queries are hard binary attributes only (HA).
# HA+SP (the paper's) is ret_market1501.py.
_base_ = ['./ret_market1501.py']
model = dict(query_forms=('hard', ), loss_weights=None)
