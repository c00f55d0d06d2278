# Table 4.3 "+ Feedback MA&PAR and AAC" (the paper's best row).
_base_ = ['./mtt_r50_peta_aac.py']
model = dict(feedback=dict(tasks=('ma', 'par'), strength=0.5))
