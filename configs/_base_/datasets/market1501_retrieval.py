# market1501.py for attribute retrieval: the gallery of CLEAR's Table 1 is
# every test-identity image, query/ and bounding_box_test (16,483 images
# without the distractors), the dataset's `reid` split; it needs the
# query/ folder. Model selection uses it too (no validation split).
_base_ = ['./market1501.py']
val_dataloader = dict(dataset=dict(split='reid'))
test_dataloader = dict(dataset=dict(split='reid'))
