"""The strict ``Pretrained`` init of clear_mm's scope."""
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.logging import MMLogger, print_log
from mmengine.model.weight_init import PretrainedInit as _MMEnginePretrained
from mmengine.model.weight_init import update_init_info

from clear_mm.registry import WEIGHT_INITIALIZERS
from .files import resolve_checkpoint, where_from
from .loading import LoadReport, load_pretrained

@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit(_MMEnginePretrained):
    """MMEngine's ``Pretrained`` init with key conversion, a load report and
    errors instead of silently random tensors (see the module docstring).

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

    def _get_init_info(self) -> str:
        return (f'{type(self).__name__}: load from {self.checkpoint} '
                f'(source {self.source})')


def pretrained_reports(model: torch.nn.Module) -> List[Tuple[str,
                                                             LoadReport]]:
    """``(module name, report)`` of every pretrained load in ``model``."""
    return [(name or type(model).__name__, m.pretrained_report)
            for name, m in model.named_modules()
            if getattr(m, 'pretrained_report', None) is not None]

