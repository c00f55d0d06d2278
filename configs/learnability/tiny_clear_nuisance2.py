# Learnability study: tiny_clear_demo.py on renders with 2x the demo's
# occlusion, blur, illumination and noise (SyntheticPedestrians nuisance=2).
_base_ = ['./tiny_clear_demo.py']
data_root = 'data/synthetic_nuisance2'
setting = dict(data_root=data_root, nuisance=2.0)
train_dataloader = dict(dataset=setting)
val_dataloader = dict(dataset=setting)
test_dataloader = dict(dataset=setting)
