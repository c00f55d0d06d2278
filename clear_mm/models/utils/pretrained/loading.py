"""Loading converted weights into a module, strictly, with a report of
every tensor: loaded, resampled, taken from a deeper model, dropped,
fresh by design, missing or unexpected."""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from .converters import CONVERTERS, _drop, _take_first_blocks
from .files import FROM_SCRATCH_HINT, read_state_dict

StateDict = Dict[str, torch.Tensor]
COMPUTED = [r'(^|\.)relative_position_index$', r'(^|\.)attn_mask$']


@dataclass
class LoadReport:
    """What a pretrained load did, tensor by tensor."""
    target: str
    checkpoint: str
    source: str
    loaded: List[str] = field(default_factory=list)
    resampled: Dict[str, str] = field(default_factory=dict)
    taken_from_deeper: Dict[str, int] = field(default_factory=dict)
    dropped: Dict[str, List[str]] = field(default_factory=dict)
    fresh: List[str] = field(default_factory=list)
    computed: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: Dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.loaded) and not (self.missing or self.unexpected
                                          or self.mismatched)

    def summary(self) -> str:
        lines = [
            f'{self.target} <- {self.checkpoint} (source {self.source!r}): '
            f'{len(self.loaded)} tensors loaded '
            f'({len(self.resampled)} resampled), '
            f'{len(self.fresh)} fresh by design, {len(self.computed)} '
            'computed buffers, '
            f'{len(self.missing)} missing, {len(self.unexpected)} unexpected'
        ]
        for key, how in self.resampled.items():
            lines.append(f'  resampled {key}: {how}')
        for what, kept in self.taken_from_deeper.items():
            lines.append(f'  partially taken: {what} (first {kept})')
        for reason, keys in self.dropped.items():
            lines.append(f'  dropped {len(keys)} checkpoint tensors: '
                         f'{reason}')
        if self.fresh:
            lines.append(f'  fresh: {_abbreviate(self.fresh)}')
        if self.missing:
            lines.append(f'  MISSING: {_abbreviate(self.missing)}')
        if self.unexpected:
            lines.append(f'  UNEXPECTED: {_abbreviate(self.unexpected)}')
        for key, how in self.mismatched.items():
            lines.append(f'  SHAPE MISMATCH {key}: {how}')
        return '\n'.join(lines)


def _abbreviate(keys: Sequence[str], n: int = 6) -> str:
    """``casa.0.q.weight, ...`` grouped by their first two name parts."""
    groups = OrderedDict()
    for key in keys:
        head = '.'.join(key.split('.')[:2])
        groups[head] = groups.get(head, 0) + 1
    items = [f'{h}.* ({c})' if c > 1 else h for h, c in groups.items()]
    more = f', ... ({len(items) - n} more groups)' if len(items) > n else ''
    return ', '.join(items[:n]) + more



def _resample(key: str, value: torch.Tensor, want: torch.Tensor,
              module: torch.nn.Module) -> Optional[torch.Tensor]:
    """A position embedding resampled to the target's token grid, or None
    when ``key`` cannot be resampled."""
    if not key.endswith('pos_embed') or value.dim() != 3 or \
            value.shape[-1] != want.shape[-1]:
        return None
    from mmpretrain.models.utils import resize_pos_embed
    extra = _extra_tokens(module, key)
    src = value.shape[1] - extra
    side = int(round(src**0.5))
    if side * side != src:
        return None
    dst = _grid(module, key, want.shape[1] - extra)
    if dst is None:
        return None
    return resize_pos_embed(
        value, (side, side), dst, mode='bicubic', num_extra_tokens=extra)


def _owner(module: torch.nn.Module, key: str) -> torch.nn.Module:
    owner = module
    for part in key.split('.')[:-1]:
        owner = getattr(owner, part, owner)
    return owner


def _extra_tokens(module: torch.nn.Module, key: str) -> int:
    owner = _owner(module, key)
    for name in ('num_extra_tokens', 'num_prefix_tokens'):
        if hasattr(owner, name):
            return int(getattr(owner, name))
    return 1


def _grid(module: torch.nn.Module, key: str,
          tokens: int) -> Optional[Tuple[int, int]]:
    owner = _owner(module, key)
    # mmpretrain's ViT, else timm's patch embedding
    embed = getattr(owner, 'patch_embed', None)
    grid = getattr(owner, 'patch_resolution', None) or getattr(
        embed, 'grid_size', None) or getattr(embed, 'init_out_size', None)
    if grid is not None and grid[0] * grid[1] == tokens:
        return tuple(grid)
    return None  # reported as a shape mismatch


def load_pretrained(module: torch.nn.Module,
                    checkpoint: str,
                    source: str = 'mmpretrain',
                    prefix: Optional[str] = None,
                    fresh: Sequence[str] = (),
                    name: Optional[str] = None,
                    strict: bool = True) -> LoadReport:
    """Load a public checkpoint into ``module`` through the ``source``
    key mapping and report it.

    Args:
        module: The backbone or branch to initialise.
        checkpoint: A local file (``resolve_checkpoint`` finds hub files).
        source: A key of :data:`CONVERTERS`.
        prefix: Only the checkpoint's keys under this prefix, stripped
            (e.g. ``'backbone.'`` of an MMPretrain classifier).
        fresh: Regexes of the module's tensors that stay at their own
            initialisation by design (e.g. CLEAR's CASA layers).
        name: What the report calls the module.
        strict: Raise when the load leaves a tensor silently random or
            loads nothing.
    """
    if source not in CONVERTERS:
        raise KeyError(f'Unknown pretrained source {source!r}; choose from '
                       f'{sorted(CONVERTERS)}.')
    state = read_state_dict(checkpoint)
    if prefix:
        state = OrderedDict((k[len(prefix):], v) for k, v in state.items()
                            if k.startswith(prefix))
        if not state:
            raise ValueError(f'{checkpoint} has no tensor under the prefix '
                             f'{prefix!r}.')
    target = module.state_dict()
    state, dropped = CONVERTERS[source](state, target)
    state, dropped_computed = _drop(state, COMPUTED,
                                    'computed buffers (position index, '
                                    'attention masks)')
    dropped.update(dropped_computed)
    state, taken, deeper = _take_first_blocks(state, target)
    if deeper:
        dropped['blocks beyond the target\'s depth'] = deeper
    report = LoadReport(
        target=name or type(module).__name__,
        checkpoint=checkpoint,
        source=source,
        taken_from_deeper=taken,
        dropped=dropped)
    to_load = OrderedDict()
    for key, value in state.items():
        if key not in target:
            report.unexpected.append(key)
            continue
        want = target[key]
        if value.shape != want.shape:
            resampled = _resample(key, value, want, module)
            if resampled is None:
                report.mismatched[key] = (f'checkpoint {tuple(value.shape)}'
                                          f', model {tuple(want.shape)}')
                continue
            report.resampled[key] = (f'{tuple(value.shape)} -> '
                                     f'{tuple(want.shape)}')
            value = resampled
        to_load[key] = value.to(want.dtype)
        report.loaded.append(key)
    for key in target:
        if key in to_load:
            continue
        if any(re.search(p, key) for p in COMPUTED):
            report.computed.append(key)
        elif any(re.search(p, key) for p in fresh):
            report.fresh.append(key)
        else:
            report.missing.append(key)
    if strict and not report.ok:
        raise ValueError(
            'Pretrained load would leave the model silently (partly) '
            f'random:\n{report.summary()}\nCheck `source` (key names) and '
            'the checkpoint; list tensors that stay fresh on purpose in '
            f'`fresh`. {FROM_SCRATCH_HINT}')
    module.load_state_dict(to_load, strict=False)
    return report


