# Paper 002's Table 4 protocol on RAP v2: CLIP zero-shot over every image
# of the annotation file's partition (split='all'), reported per named
# attribute (clip_zeroshot_rapv2.py's test_evaluator).
#   python tools/test.py configs/clip/clip_zeroshot_rapv2_table4.py
_base_ = ['./clip_zeroshot_rapv2.py']
test_dataloader = dict(dataset=dict(split='all'))
