"""Pretrained initialisation from public checkpoints, with a load report.

A backbone (or a CLEAR branch) names its public weights in its
``init_cfg``::

    init_cfg=dict(type='StrictPretrained',
                  weights='timm/eva_large_patch14_196.in22k_ft_in1k',
                  fresh=[r'^ln1\\.'])

``StrictPretrained`` (:class:`StrictPretrainedInit`, registered in
clear_mm's scope under this name of its own; ``Pretrained`` stays
MMEngine's everywhere) keeps MMEngine's order for a pretrained init: it
runs after every child's own initialisation, and MMPretrain's backbones
skip their post-initialisation for it. It is a strict superset of
MMEngine's loader:

- ``weights`` names an entry of :data:`PUBLIC_WEIGHTS` (its key mapping,
  hub repo or URL, and the local file ``checkpoints/<file>``); or give
  ``checkpoint`` (a local file) and ``source`` (the key mapping:
  ``timm_vit`` for timm ViT/EVA, ``timm_swin``, ``swin`` for the official
  Swin, ``torchvision`` for torchvision ResNets, ``mmpretrain`` for
  MMPretrain/MMEngine checkpoints with ``prefix``, ``timm`` for
  mmpretrain's ``TIMMBackbone``) yourself;
- a deeper checkpoint gives its first blocks per stage (CLEAR's 12 of
  EVA-L's 24, 6 of Swin-B's 18 in stage 3) and position embeddings are
  resampled to the target's grid;
- every load is reported (loaded, resampled, taken from a deeper model,
  dropped, fresh by design, missing, unexpected); a load that leaves any
  tensor silently random (a missing or unexpected key, a shape that cannot
  be resampled) or loads nothing is an error, where MMEngine's loader
  (``strict=False``) only logs;
- a file absent offline stops the run with its path and where to get it;
  from ``hub`` (Hugging Face) or ``url`` it is taken from the local caches
  or downloaded when the machine is online. ``tools/train.py
  --from-scratch`` (:func:`remove_pretrained`) trains from random weights
  on purpose.
"""
from .configs import (check_pretrained, pretrained_inits, remove_pretrained,
                      use_random_weights, write_random_weights)
from .converters import CONVERTERS, register_converter
from .files import (FROM_SCRATCH_HINT, PUBLIC_WEIGHTS, public_weights,
                    read_state_dict, resolve_checkpoint, where_from)
from .init import StrictPretrainedInit, pretrained_reports
from .loading import LoadReport, load_pretrained

__all__ = [
    'CONVERTERS', 'FROM_SCRATCH_HINT', 'LoadReport', 'PUBLIC_WEIGHTS',
    'StrictPretrainedInit', 'check_pretrained', 'load_pretrained',
    'pretrained_inits', 'pretrained_reports', 'public_weights',
    'read_state_dict', 'register_converter', 'remove_pretrained',
    'resolve_checkpoint', 'use_random_weights', 'where_from',
    'write_random_weights'
]
