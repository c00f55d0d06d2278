# CLIP zero-shot PAR on PA100K with the paper's person crop: a Mask R-CNN
# (torchvision's COCO weights, saved locally) keeps the largest person,
# the background outside its mask set to gray, before CLIP. The paper's
# Mask R-CNN was fine-tuned on OpenImages + COCO; those weights are not
# public, so this crop is the COCO-only model's.
#   python tools/test.py configs/clip/clip_zeroshot_pa100k_crop.py
_base_ = ['./clip_zeroshot_pa100k.py']
model = dict(
    person_crop=dict(
        _delete_=True,
        type='TorchvisionPersonCrop',
        arch='maskrcnn_resnet50_fpn',
        checkpoint='checkpoints/maskrcnn_resnet50_fpn_coco.pth',
        score_thr=0.5))
