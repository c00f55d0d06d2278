# Table 4.3 "+ Feedback MA&PAR": both losses weighted by the other's.
_base_ = ['./mtt_r50_peta.py']
model = dict(feedback=dict(tasks=('ma', 'par'), strength=0.5))
