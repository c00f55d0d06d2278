# Table 4.3 "+ Feedback PAR": the PAR loss of each sample weighted by its
# MA loss, w = (1 - s) + s * l_MA / mean(l_MA) (the formula is ours).
_base_ = ['./mtt_r50_peta.py']
model = dict(feedback=dict(tasks=('par', ), strength=0.5))
