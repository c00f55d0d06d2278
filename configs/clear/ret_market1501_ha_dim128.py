# Table 7 on Market-1501: HA queries, embedding size (dim_query) 128.
_base_ = ['./ret_market1501_ha.py']
model = dict(embed_dims=128)
