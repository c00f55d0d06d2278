# Learnability study: resnet18_demo.py on renders with 3x the demo's
# occlusion, blur, illumination and noise (SyntheticPedestrians nuisance=3).
_base_ = ['./resnet18_demo.py']
data_root = 'data/synthetic_nuisance3'
setting = dict(data_root=data_root, nuisance=3.0)
train_dataloader = dict(dataset=setting)
val_dataloader = dict(dataset=setting)
test_dataloader = dict(dataset=setting)
