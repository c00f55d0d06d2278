# Table 6 on PA100K: queries are hard binary attributes only (HA).
# HA+SP (the paper's) is ret_pa100k.py.
_base_ = ['./ret_pa100k.py']
model = dict(query_forms=('hard', ), loss_weights=None)
