# Table 7 on PA100K: HA queries, embedding size (dim_query) 128.
_base_ = ['./ret_pa100k_ha.py']
model = dict(embed_dims=128)
