# ASMR baseline (Jeong et al., ICCV 2021) on PA100K: an ImageNet ResNet-50
# (torchvision's weights) trained end to end with the attribute encoder
# N -> 512 -> 128 -> 128 and the visual head 2048 -> 512 -> 128 -> 128, MA loss + ASMR regularizer, evaluated by the
# same AttrRetrievalMetric as CLEAR (ret_pa100k.py); paper 004's SGD
# schedule (lr 1e-3, decayed by 0.1 after 10 of 20 epochs).
#   python tools/train.py configs/asmr/asmr_pa100k.py
_base_ = [
    '../_base_/models/asmr_r50.py',
    '../_base_/datasets/pa100k.py',
    '../_base_/schedules/sgd_20e.py',
    '../_base_/runtimes/retrieval.py',
]
model = dict(par_model=dict(head=dict(num_classes=26)))
train_dataloader = dict(batch_size=16)
