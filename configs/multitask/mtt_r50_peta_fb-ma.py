# Table 4.3 "+ Feedback MA": the MA loss of each sample weighted by its
# PAR loss, w = (1 - s) + s * l_PAR / mean(l_PAR) (the formula is ours).
_base_ = ['./mtt_r50_peta.py']
model = dict(feedback=dict(tasks=('ma', ), strength=0.5))
