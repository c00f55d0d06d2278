# mtt_synthetic.py on the identity-mode synthetic set; tested by the fused
# distance (with each part alone), on partial queries and, through its
# attribute scores alone, as the PAR baseline of its own backbone
# (mtt_synthetic_score_ranking.py's metric).
#   python tools/train.py configs/multitask/mtt_synthetic_ids.py
_base_ = ['./mtt_synthetic.py', '../_base_/datasets/synthetic_ids.py']
# the identity-mode synthetic set (_base_/datasets/synthetic_ids.py)
train_dataloader = dict(dataset={{_base_.synthetic_ids}})
val_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_dataloader = dict(dataset={{_base_.synthetic_ids}})
test_evaluator = [
    dict(type='PARMetric'),
    dict(type='FusedRetrievalMetric', par_weight=0.2),
    dict(type='ScoreRetrievalMetric', prefix='score_ranking'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
