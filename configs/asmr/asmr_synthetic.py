# ASMR baseline (Jeong et al., ICCV 2021; docs/method_notes.md, "ASMR
# baseline") on the synthetic pedestrians, comparable row by row with
# ret_synthetic*.py: ret_synthetic.py with the ASMR stage (ASMRRetriever,
# _base_/models/retrieval_stages.py): attribute encoder N -> 512 -> 128 ->
# 128 and visual head -> 512 -> 128 -> 128, the MA loss (AngularMarginLoss,
# every training combination a proxy) and the ASMR regularizer. On a CPU
# the visual model is CLEAR's tiny recognition model, frozen (a CPU-sized
# stand-in for its ResNet-50), so the feature cache applies; asmr_pa100k.py
# etc. train a ResNet-50 end to end.
#   python tools/train.py configs/asmr/asmr_synthetic.py \
#       --cfg-options model.par_checkpoint=work_dirs/demo/best_par_mA_epoch_18.pth
_base_ = ['../clear/ret_synthetic.py']
model = dict(
    _base_.asmr_stage,
    _delete_=True,
    par_model=_base_.model.par_model,
    freeze_par=True)
