# ret_synthetic_half_combos.py with hard binary queries only (HA): the
# comparison that says whether the soft (language-model) queries help on
# combinations unseen in training.
#   python tools/train.py configs/clear/ret_synthetic_ha_half_combos.py \
#       --cfg-options model.par_checkpoint=work_dirs/demo/best_par_mA_*.pth
_base_ = ['./ret_synthetic_half_combos.py']
model = dict(query_forms=('hard', ), loss_weights=None)
