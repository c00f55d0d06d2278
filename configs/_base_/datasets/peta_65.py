# PETA as CLEAR's Table 1 uses it for retrieval: all 105 label columns,
# i.e. 61 binary attributes + 4 multi-class colour groups (upper body,
# lower body, hair, footwear; 11 colours each) = 65 attributes. Split 0 of
# PETA.mat (9,500 / 1,900 / 7,600) by default; Table 1's 15,067 / 3,933
# split is not in the public files: give it as a JSON of image numbers with
#   --cfg-options train_dataloader.dataset.split_file=... (and val/test)
_base_ = ['./peta.py']
peta_65 = dict(all_attributes=True)
train_dataloader = dict(dataset=peta_65)
val_dataloader = dict(dataset=peta_65)
test_dataloader = dict(dataset=peta_65)
