"""clear_mm's strict pretrained init, ``StrictPretrained``.

MMEngine gives the init named ``Pretrained`` a place of its own: it runs
after every child's own initialisation, and MMPretrain's backbones skip
their post-initialisation (ViT's position embedding, ResNet's zeroed last
norms) when their ``init_cfg`` is a ``Pretrained`` one. Both key on that
name, which stays MMEngine's. ``StrictPretrained`` keeps the same order
under its own name: MMEngine calls it with a module's other inits, before
the children's, so it

1. initialises the module's children first (each one's own
   ``init_weights``, after which MMEngine skips them),
2. loads the weights (strict, converted and reported, see
   :func:`load_pretrained`),
3. records the finished load in the module's ``init_cfg`` as the
   ``Pretrained`` init MMPretrain's backbones look for, so their
   post-initialisation does not overwrite it.

It must be the last of a module's inits (an init after it would overwrite
the load); a list that puts one after it is an error.
"""
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.logging import MMLogger, print_log
from mmengine.model.weight_init import PretrainedInit as _MMEnginePretrained
from mmengine.model.weight_init import update_init_info
from mmengine.model.wrappers import is_model_wrapper

from clear_mm.registry import WEIGHT_INITIALIZERS
from .files import resolve_checkpoint, where_from
from .loading import LoadReport, load_pretrained

@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit(_MMEnginePretrained):
    """MMEngine's ``Pretrained`` init with key conversion, a load report and
    errors instead of silently random tensors, in MMEngine's order (see
    the module docstring and :mod:`clear_mm.models.utils.pretrained`).

    Args:
        weights (str, optional): An entry of :data:`PUBLIC_WEIGHTS`; gives
            the defaults of ``checkpoint``, ``source``, ``hub`` and ``url``.
        checkpoint (str, optional): Local file of the weights.
        source (str, optional): Key mapping (:data:`CONVERTERS`). Defaults
            to ``mmpretrain`` (MMEngine's key names, reported and strict).
        hub (str, optional): Hugging Face repo id of the file (cache,
            download).
        url (str, optional): URL of the file (torch hub cache, download).
        prefix (str, optional): Checkpoint prefix to take and strip.
        fresh (Sequence[str]): Regexes of tensors that stay fresh.
        map_location (str): Kept for MMEngine compatibility.
    """

    def __init__(self,
                 weights: Optional[str] = None,
                 checkpoint: Optional[str] = None,
                 source: Optional[str] = None,
                 hub: Optional[str] = None,
                 url: Optional[str] = None,
                 prefix: Optional[str] = None,
                 fresh: Sequence[str] = (),
                 map_location: str = 'cpu'):
        found = where_from(weights, checkpoint, source, hub, url)
        super().__init__(
            found['checkpoint'], prefix=prefix, map_location=map_location)
        self.weights = weights
        self.source = found['source']
        self.hub = found['hub']
        self.url = found['url']
        self.fresh = list(fresh)
        self.report: Optional[LoadReport] = None

    def __call__(self, module: torch.nn.Module) -> None:
        self._check_last(module)
        _init_children_first(module)
        path = resolve_checkpoint(self.checkpoint, self.hub, self.url)
        if (self.checkpoint and not osp.isfile(self.checkpoint)
                and not re.match(r'^\w+://', self.checkpoint)):
            print_log(f'{self.checkpoint} not found; using {path}',
                      logger='current')
        self.report = load_pretrained(
            module,
            path,
            source=self.source,
            prefix=self.prefix,
            fresh=self.fresh)
        module.pretrained_report = self.report
        MMLogger.get_current_instance().info(self.report.summary())
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
        if isinstance(module.init_cfg, dict):
            module.init_cfg = dict(
                type='Pretrained',
                checkpoint=path,
                loaded_by=f'StrictPretrained (source {self.source})')

    @staticmethod
    def _check_last(module: torch.nn.Module) -> None:
        cfgs = module.init_cfg
        if not isinstance(cfgs, (list, tuple)):
            return
        types = [c.get('type') for c in cfgs]
        mine = [
            i for i, t in enumerate(types)
            if t in ('StrictPretrained', StrictPretrainedInit)
        ]
        if not mine:  # called directly, not through the module's init_cfg
            return
        later = [t for t in types[mine[-1] + 1:] if t != 'Pretrained']
        if later:
            raise ValueError(
                f'{type(module).__name__}.init_cfg runs {later} after '
                'StrictPretrained, which would overwrite the loaded weights; '
                'put StrictPretrained last.')

    def _get_init_info(self) -> str:
        return (f'{type(self).__name__}: load from {self.checkpoint} '
                f'(source {self.source})')


def _init_children_first(module: torch.nn.Module) -> None:
    """What MMEngine's ``BaseModule.init_weights`` does for the children
    before a ``Pretrained`` init; it then skips them (``is_init``)."""
    for child in module.children():
        if is_model_wrapper(child) and not hasattr(child, 'init_weights'):
            child = child.module
        if hasattr(child, 'init_weights') and not getattr(
                child, 'is_init', False):
            child.init_weights()
            if hasattr(child, '_params_init_info'):
                update_init_info(
                    child,
                    init_info='Initialized by user-defined `init_weights` '
                    f'in {type(child).__name__} ')


def pretrained_reports(model: torch.nn.Module) -> List[Tuple[str,
                                                             LoadReport]]:
    """``(module name, report)`` of every pretrained load in ``model``."""
    return [(name or type(model).__name__, m.pretrained_report)
            for name, m in model.named_modules()
            if getattr(m, 'pretrained_report', None) is not None]

