# CLIP zero-shot PAR (paper 002) on RAP v2: clip_zeroshot_pa100k.py with
# this dataset's test split.
#   python tools/test.py configs/clip/clip_zeroshot_rapv2.py
_base_ = ['./clip_zeroshot_pa100k.py']
dataset_type = 'RAPv2'
data_root = 'data/RAPv2'
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
# Table 4's RAP v2 rows: RAP v2 spells Female 'Femal'; Bags is the union of
# the five bag attributes among the 54 (the paper does not list which; the
# box, trunk and 'other' attachments are left out).
test_evaluator = dict(
    named=dict(
        _delete_=True,
        Female='Femal',
        Hat='hs-Hat',
        Glasses='hs-Glasses',
        Bags=[
            'attachment-Backpack', 'attachment-ShoulderBag',
            'attachment-HandBag', 'attachment-PlasticBag',
            'attachment-PaperBag'
        ]))
