# CLIP zero-shot PAR on PA100K with the paper's person crop: a Mask R-CNN
# (torchvision's COCO weights, saved locally) keeps the largest person,
# the background outside its mask set to gray, before CLIP.
#   python tools/test.py configs/clip/clip_zeroshot_pa100k_crop.py
_base_ = ['./clip_zeroshot_pa100k.py']
model = dict(
    person_crop=dict(
        _delete_=True,
        type='TorchvisionPersonCrop',
        arch='maskrcnn_resnet50_fpn',
        checkpoint='checkpoints/maskrcnn_resnet50_fpn_coco.pth',
        score_thr=0.5))
