# CLEAR retrieval stage on PETA (Table 3) with Table 1's 65 attributes (all
# 105 label columns: 61 binary + 4 multi-class colour groups), split 0; the
# frozen f_par is par_peta_65.py's.
#   python tools/train.py configs/clear/ret_peta.py \
#       --cfg-options model.par_checkpoint=work_dirs/par_peta_65/best_*.pth
_base_ = [
    '../_base_/models/clear_paper_retriever.py',
    '../_base_/datasets/peta_65.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/runtimes/retrieval_frozen.py',
]
model = dict(
    par_model=dict(head=dict(num_classes=105)),
    # N_w: PETA's sentences are longer than PA100K's (with the colours, up
    # to 86 WordPiece tokens over the 4,580 training combinations, 94% above
    # 64); 96 keeps every one whole (docs/method_notes.md, "Retrieval")
    language_model=dict(num_tokens=96))
train_dataloader = dict(batch_size=128)
