# mtt_synthetic.py on the identity-mode synthetic set; tested by the fused
# distance (with each part alone), on partial queries and, through its
# attribute scores alone, as the PAR baseline of its own backbone
# (mtt_synthetic_score_ranking.py's metric).
#   python tools/train.py configs/multitask/mtt_synthetic_ids.py
_base_ = ['./mtt_synthetic.py']
# The identity-mode synthetic set of cerberus_synthetic.py (500 training
# persons x 4 images, 100 validation and 200 test persons, 3 cameras), so
# that every system of the README's comparison runs on the same images.
ids = dict(
    data_root='data/synthetic_ids',
    num_train=2000,
    num_val=400,
    num_test=800,
    seed=0,
    identities=dict(images_per_id=4, num_cameras=3))
train_dataloader = dict(dataset=ids)
val_dataloader = dict(dataset=ids)
test_dataloader = dict(dataset=ids)
test_evaluator = [
    dict(type='PARMetric'),
    dict(type='FusedRetrievalMetric', par_weight=0.2),
    dict(type='ScoreRetrievalMetric', prefix='score_ranking'),
    dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3)),
]
