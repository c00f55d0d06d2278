# Table 6 on Market-1501: queries are attribute words embedded by the language model (W).
# HA+SP (the paper's) is ret_market1501.py.
_base_ = ['./ret_market1501.py']
model = dict(query_forms=('words', ), loss_weights=None)
