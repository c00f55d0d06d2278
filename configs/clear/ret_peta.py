# CLEAR retrieval stage on PETA (Table 3), split 0 and the 35 standard
# attributes of par_peta.py. The paper's retrieval uses 65 PETA attributes
# (Table 1); set all_attributes=True in the datasets (and num_classes=105
# in par_peta.py) for a larger vocabulary.
#   python tools/train.py configs/clear/ret_peta.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_peta/best_*.pth
_base_ = [
    '../_base_/models/clear_paper_retriever.py',
    '../_base_/datasets/peta.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/runtimes/retrieval_frozen.py',
]
model = dict(
    par_model=dict(head=dict(num_classes=35)),
    # N_w: PETA's sentences are longer than PA100K's (up to 77 WordPiece
    # tokens over the training combinations, a fifth above 64); 96 keeps
    # every one whole (docs/method_notes.md, "Retrieval")
    language_model=dict(num_tokens=96))
train_dataloader = dict(batch_size=128)
