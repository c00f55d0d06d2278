# Table 6 on PA100K: queries are the soft pseudo-description only (SP).
# HA+SP (the paper's) is ret_pa100k.py.
_base_ = ['./ret_pa100k.py']
model = dict(query_forms=('soft', ), loss_weights=None)
