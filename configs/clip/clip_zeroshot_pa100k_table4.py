# Paper 002's Table 4 protocol on PA100K: CLIP zero-shot over all 100,000
# images (train + val + test: its sample counts, e.g. Female 45,336 and
# Bags 49,980, are those of the whole annotation file), reported per named
# attribute (clip_zeroshot_pa100k.py's test_evaluator).
#   python tools/test.py configs/clip/clip_zeroshot_pa100k_table4.py
_base_ = ['./clip_zeroshot_pa100k.py']
test_dataloader = dict(dataset=dict(split='all'))
