# CLEAR's language model where the paper says it helps: queries of attribute
# combinations unseen in training (Table 1's "unseen categories", Table 6).
# ret_synthetic.py (HA+SP) trained on the images of a seeded half of the
# training combinations only (keep_combinations), so that most test queries
# are new; the test reports seen and unseen queries apart
# (retrieval/seen/*, retrieval/unseen/*). HA alone:
# ret_synthetic_ha_half_combos.py.
#   python tools/train.py configs/clear/ret_synthetic_half_combos.py \
#       --cfg-options model.par_checkpoint=work_dirs/demo/best_par_mA_*.pth
_base_ = ['./ret_synthetic.py']
train_dataloader = dict(
    dataset=dict(keep_combinations=dict(fraction=0.5, seed=0)))
