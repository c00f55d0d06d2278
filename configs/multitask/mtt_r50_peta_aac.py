# Table 4.3 "+ AAC": additional plausible attribute combinations as extra
# proxies of the MA and ASMR losses (PETA's exclusion rules in
# clear_mm/structures/attribute_combinations.py). The paper does not say how
# many; we add at most 5,000 (seeded).
_base_ = ['./mtt_r50_peta.py']
model = dict(
    extra_combinations=dict(num=5000, seed=0),
    # ASMR over a random 1,024 of the ~10,000 proxies per iteration.
    regularizer=dict(max_proxies=1024))
