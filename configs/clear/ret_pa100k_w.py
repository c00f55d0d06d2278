# Table 6 on PA100K: queries are attribute words embedded by the language model (W).
# HA+SP (the paper's) is ret_pa100k.py.
_base_ = ['./ret_pa100k.py']
model = dict(query_forms=('words', ), loss_weights=None)
