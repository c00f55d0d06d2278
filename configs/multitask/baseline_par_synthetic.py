# Paper 004's "PAR baseline" retrieval on the synthetic pedestrians: the
# tiny CLEAR recognition model of par_synthetic.py (the demo's checkpoint)
# ranks the gallery by the Euclidean distance between the 0/1 query and its
# attribute scores, with no joint embedding. Test only:
#   python tools/test.py configs/multitask/baseline_par_synthetic.py \
#       work_dirs/demo/best_par_mA_epoch_18.pth
_base_ = [
    '../_base_/models/clear_tiny.py',
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adamw_scratch_18e.py',
    '../_base_/runtimes/score_ranking.py',
]
model = dict(head=dict(num_classes=26))
