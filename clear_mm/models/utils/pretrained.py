"""Pretrained initialisation from public checkpoints, with a load report.

A backbone (or a CLEAR branch) names its public weights in its
``init_cfg``::

    init_cfg=dict(type='Pretrained',
                  weights='timm/eva_large_patch14_196.in22k_ft_in1k',
                  fresh=[r'^ln1\\.'])

``type='Pretrained'`` keeps MMEngine's ordering (a pretrained init runs
after every child's own initialisation, and MMPretrain's backbones skip
their post-initialisation for it). Under the ``mmpretrain`` scope the name
resolves to :class:`PretrainedInit` below, a strict superset of MMEngine's
loader:

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
import os
import os.path as osp
import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import MMLogger, print_log
from mmengine.model.weight_init import PretrainedInit as _MMEnginePretrained
from mmengine.model.weight_init import update_init_info
from mmpretrain.registry import WEIGHT_INITIALIZERS

from clear_mm.utils.checkpoints_root import locate
from clear_mm.utils.model_converters import (swin_to_mmpretrain,
                                             timm_swin_to_mmpretrain,
                                             timm_vit_to_mmpretrain)

StateDict = Dict[str, torch.Tensor]
FROM_SCRATCH_HINT = (
    'To train from random weights on purpose, run tools/train.py with '
    '--from-scratch (or remove the init_cfg of type "Pretrained").')

# The public weights the configs start from: the key mapping and, besides
# the Hugging Face repo a 'timm/...' name is, where the file comes from; the
# local file is its name under PRETRAINED_DIR.
PRETRAINED_DIR = 'checkpoints'
PUBLIC_WEIGHTS = {
    'timm/eva_large_patch14_196.in22k_ft_in1k': dict(source='timm_vit'),
    'timm/eva02_large_patch14_448.mim_m38m_ft_in22k_in1k':
    dict(source='timm'),
    'timm/swin_base_patch4_window12_384.ms_in22k': dict(source='timm_swin'),
    'timm/swin_base_patch4_window7_224.ms_in22k': dict(source='timm_swin'),
    'timm/pvt_v2_b2.in1k': dict(source='timm'),
    'torchvision/resnet50.IMAGENET1K_V1':
    dict(
        source='torchvision',
        url='https://download.pytorch.org/models/resnet50-0676ba61.pth'),
}


def public_weights(name: str) -> dict:
    """``source``, ``hub``/``url`` and the local ``checkpoint`` of an entry
    of :data:`PUBLIC_WEIGHTS`."""
    if name not in PUBLIC_WEIGHTS:
        raise KeyError(f'Unknown pretrained weights {name!r}; known: '
                       f'{sorted(PUBLIC_WEIGHTS)} (or give checkpoint= and '
                       'source= instead of weights=).')
    entry = dict(PUBLIC_WEIGHTS[name])
    if name.startswith('timm/'):
        entry['hub'] = name
    if 'hub' in entry:
        file = entry['hub'].split('/', 1)[1] + '.safetensors'
    else:
        file = osp.basename(entry['url'])
    entry['checkpoint'] = osp.join(PRETRAINED_DIR, file)
    return entry


def where_from(weights: Optional[str] = None,
               checkpoint: Optional[str] = None,
               source: Optional[str] = None,
               hub: Optional[str] = None,
               url: Optional[str] = None) -> dict:
    """``checkpoint``, ``source``, ``hub`` and ``url`` of a pretrained init:
    ``weights`` gives the defaults; an explicit ``checkpoint`` is another
    file, so the entry's hub and URL are not used for it."""
    known = public_weights(weights) if weights else {}
    if checkpoint and checkpoint != known.get('checkpoint'):
        known.pop('hub', None)
        known.pop('url', None)
    out = dict(
        checkpoint=checkpoint or known.get('checkpoint'),
        source=source or known.get('source', 'mmpretrain'),
        hub=hub or known.get('hub'),
        url=url or known.get('url'))
    if not (out['checkpoint'] or out['hub'] or out['url']):
        raise ValueError('A Pretrained init needs `weights` (one of '
                         f'{sorted(PUBLIC_WEIGHTS)}) or `checkpoint`.')
    return out


# Target tensors no checkpoint carries: computed from the architecture.
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


# -- reading ----------------------------------------------------------------
def read_state_dict(path: str) -> StateDict:
    """The tensors of a ``.safetensors``, ``.pth``/``.pt``/``.bin`` file,
    unwrapped from ``state_dict``/``model``/``module`` (no pickle code is
    executed: ``weights_only`` loading, or MMEngine's allow-list)."""
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        try:
            return load_file(path)
        except Exception as e:  # noqa: BLE001 - re-raised with the file
            raise ValueError(f'Cannot read pretrained weights {path}: {e}')
    from mmengine.runner.checkpoint import CheckpointLoader
    try:
        ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except Exception as e:  # noqa: BLE001
        raise ValueError(f'Cannot read pretrained weights {path}: {e}')
    for key in ('state_dict', 'model', 'module'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
    if not isinstance(ckpt, dict) or not all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ValueError(f'{path} holds no state dict of tensors.')
    return OrderedDict(ckpt)


def _hub_cache(hub: str) -> Optional[str]:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - a transformers dependency
        return None
    for name in ('model.safetensors', 'pytorch_model.bin'):
        hit = try_to_load_from_cache(hub, name)
        if isinstance(hit, str) and osp.isfile(hit):
            return hit
    return None


def _url_cache(url: str) -> str:
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(url))


def _offline() -> bool:
    return os.environ.get('HF_HUB_OFFLINE', '0') not in ('', '0', 'false')


def resolve_checkpoint(checkpoint: Optional[str],
                       hub: Optional[str] = None,
                       url: Optional[str] = None,
                       download: bool = True) -> str:
    """The local file of a pretrained checkpoint: ``checkpoint`` when it
    exists, else the Hugging Face or torch hub cache of ``hub``/``url``,
    else a download (unless ``download`` is False or ``HF_HUB_OFFLINE`` is
    set). Raises FileNotFoundError naming the file, where it comes from
    and the switch that trains from scratch. ``checkpoints/<file>`` is
    under the checkpoints root (:mod:`clear_mm.utils.checkpoints_root`)."""
    checkpoint = locate(checkpoint)
    if checkpoint and osp.isfile(checkpoint):
        return checkpoint
    if hub and _hub_cache(hub):
        return _hub_cache(hub)
    if url and osp.isfile(_url_cache(url)):
        return _url_cache(url)
    errors = []
    if download and not _offline():
        try:
            if hub:
                from huggingface_hub import hf_hub_download
                return hf_hub_download(hub, 'model.safetensors')
            if url:
                os.makedirs(osp.dirname(_url_cache(url)), exist_ok=True)
                torch.hub.download_url_to_file(url, _url_cache(url))
                return _url_cache(url)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f'download failed: {type(e).__name__}: {e}')
    where = []
    if hub:
        where.append(f'the Hugging Face hub repo {hub!r} '
                     '(model.safetensors)')
    if url:
        where.append(url)
    source = (' Get it from ' + ' or '.join(where) + ' and save it as '
              f'{checkpoint!r}.') if where else ''
    raise FileNotFoundError(
        f'Pretrained weights {checkpoint!r} not found.{source} '
        + (' '.join(errors) + ' ' if errors else '') + FROM_SCRATCH_HINT)


# -- converting -------------------------------------------------------------
Converter = Callable[[StateDict, StateDict], Tuple[StateDict, Dict[str,
                                                                   List[str]]]]
CONVERTERS: Dict[str, Converter] = {}


def register_converter(name: str):

    def wrap(fn):
        CONVERTERS[name] = fn
        return fn

    return wrap


def _drop(state: StateDict, patterns: Sequence[str],
          reason: str) -> Tuple[StateDict, Dict[str, List[str]]]:
    kept, dropped = OrderedDict(), []
    for key, value in state.items():
        if any(re.search(p, key) for p in patterns):
            dropped.append(key)
        else:
            kept[key] = value
    return kept, ({reason: dropped} if dropped else {})


@register_converter('mmpretrain')
def _from_mmpretrain(state: StateDict, target: StateDict):
    return OrderedDict(state), {}


@register_converter('torchvision')
def _from_torchvision(state: StateDict, target: StateDict):
    """torchvision ResNets share mmpretrain ``ResNet``'s key names."""
    return _drop(state, [r'^fc\.'], 'the ImageNet classifier (fc)')


@register_converter('timm_vit')
def _from_timm_vit(state: StateDict, target: StateDict):
    """timm ViT / EVA (EVA-01) -> mmpretrain ``VisionTransformer``."""
    state, dropped = _drop(state, [r'^head\.', r'^fc_norm\.'],
                           'the classifier (head, fc_norm)')
    depth = _count(target, r'^layers\.(\d+)\.')
    source_depth = _count(state, r'^blocks\.(\d+)\.')
    if source_depth > depth:
        # the 24-block model's final norm does not belong after block 12
        state, more = _drop(state, [r'^norm\.'],
                            f'the final norm (after block {source_depth}; '
                            'ln1 stays fresh)')
        dropped.update(more)
    return timm_vit_to_mmpretrain(state), dropped


@register_converter('timm_swin')
def _from_timm_swin(state: StateDict, target: StateDict):
    state, dropped = _drop(state, [r'^head\.'], 'the classifier (head)')
    return timm_swin_to_mmpretrain(state), dropped


@register_converter('swin')
def _from_official_swin(state: StateDict, target: StateDict):
    state, dropped = _drop(state, [r'^head\.'], 'the classifier (head)')
    return swin_to_mmpretrain(state), dropped


@register_converter('timm')
def _from_timm(state: StateDict, target: StateDict):
    """A timm model -> mmpretrain ``TIMMBackbone`` (``timm_model.``), also
    with ``features_only`` (which names ``stages.0`` ``stages_0``)."""
    out, dropped = OrderedDict(), defaultdict(list)
    state = OrderedDict(state)
    if 'timm_model.norm.weight' in target and 'norm.weight' not in state:
        # a model pooled by fc_norm ('avg'), built for tokens (''): the
        # same LayerNorm after the last block
        for name in ('weight', 'bias'):
            if f'fc_norm.{name}' in state:
                state[f'norm.{name}'] = state.pop(f'fc_norm.{name}')
    for key, value in state.items():
        candidates = [
            'timm_model.' + key,
            'timm_model.' + re.sub(r'^(\w+)\.(\d+)\.', r'\1_\2.', key)
        ]
        hit = next((c for c in candidates if c in target), None)
        if hit is not None:
            out[hit] = value
        elif re.match(r'^(head|fc_norm|norm)\.', key):
            dropped['the classifier (not in the backbone)'
                    ].append(key)
        else:
            out[candidates[0]] = value  # reported as unexpected
    return out, dict(dropped)


def _count(state: StateDict, pattern: str) -> int:
    found = [int(m.group(1)) for m in map(re.compile(pattern).match, state)
             if m]
    return 1 + max(found) if found else 0


def _take_first_blocks(state: StateDict, target: StateDict):
    """Keep the first blocks of each stage that the target has; a stage of
    the checkpoint deeper than the target's gives its first blocks."""
    kept, taken, dropped = OrderedDict(), {}, []
    block = re.compile(r'^(.*?(?:^|\.)(?:layers|blocks))\.(\d+)\.')
    depth_of: Dict[str, int] = {}
    for key in target:
        m = block.match(key)
        if m:
            depth_of[m.group(1)] = max(
                depth_of.get(m.group(1), 0), int(m.group(2)) + 1)
    have: Dict[str, int] = defaultdict(int)
    for key in state:
        m = block.match(key)
        if m:
            have[m.group(1)] = max(have[m.group(1)], int(m.group(2)) + 1)
    for key, value in state.items():
        m = block.match(key)
        if m and m.group(1) in depth_of and int(
                m.group(2)) >= depth_of[m.group(1)]:
            dropped.append(key)
            continue
        kept[key] = value
    for stage, n in have.items():
        if stage in depth_of and n > depth_of[stage]:
            taken[f'{stage}: {depth_of[stage]} of {n} blocks'] = \
                depth_of[stage]
    return kept, taken, dropped


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


def write_random_weights(weights: str, path: str, seed: int = 0) -> str:
    """Random weights of an entry of :data:`PUBLIC_WEIGHTS` in its source
    format (the timm model's or torchvision's state dict, same key names
    and shapes as the public file), for tests and offline dry runs."""
    public_weights(weights)  # a clear error for an unknown name
    torch.manual_seed(seed)
    if weights.startswith('timm/'):
        import timm
        model = timm.create_model(
            weights.split('/', 1)[1].split('.')[0], pretrained=False)
    else:
        import torchvision
        arch = weights.split('/', 1)[1].split('.')[0]
        model = getattr(torchvision.models, arch)(weights=None)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if path.endswith('.safetensors'):
        from safetensors.torch import save_file
        save_file(state, path)
    else:
        torch.save(state, path)
    return path


# -- configs ------------------------------------------------------------------
def _is_pretrained(cfg) -> bool:
    return isinstance(cfg, dict) and cfg.get('type') in ('Pretrained',
                                                         PretrainedInit)


def pretrained_inits(model_cfg,
                     path: str = 'model') -> List[Tuple[str, dict]]:
    """Every ``Pretrained`` init in a model config as ``(where, cfg)``;
    skips a retriever's ``par_model`` that ``par_checkpoint`` loads."""
    found = []
    if isinstance(model_cfg, dict):
        for key, value in model_cfg.items():
            if key == 'par_model' and model_cfg.get('par_checkpoint'):
                continue  # loaded from the recognition checkpoint
            if key.endswith('_branch') and 'branches' in model_cfg and \
                    key[:-len('_branch')] not in model_cfg['branches']:
                continue  # a CrossTransformer branch that is not built
            where = f'{path}.{key}'
            if key == 'init_cfg':
                items = value if isinstance(value, (list, tuple)) else [value]
                found += [(where, c) for c in items if _is_pretrained(c)]
            else:
                found += pretrained_inits(value, where)
    elif isinstance(model_cfg, (list, tuple)):
        for i, value in enumerate(model_cfg):
            found += pretrained_inits(value, f'{path}[{i}]')
    return found


def check_pretrained(model_cfg) -> List[str]:
    """Resolve every pretrained file of a model config before anything is
    built. Every absent one is named in one FileNotFoundError (see
    :func:`resolve_checkpoint`). Returns the files."""
    files, errors = [], []
    for where, cfg in pretrained_inits(model_cfg):
        found = where_from(*(cfg.get(k) for k in ('weights', 'checkpoint',
                                                  'source', 'hub', 'url')))
        try:
            files.append(
                resolve_checkpoint(found['checkpoint'], found['hub'],
                                   found['url']))
        except FileNotFoundError as e:
            errors.append(f'{where}: {e}')
    if len(errors) == 1:
        raise FileNotFoundError(errors[0])
    if errors:
        raise FileNotFoundError(
            f'{len(errors)} pretrained files are missing '
            '(tools/misc/required_files.py lists every file a config '
            'needs):\n' + '\n'.join(f'- {e}' for e in errors))
    return files


def remove_pretrained(model_cfg) -> List[str]:
    """Drop every ``Pretrained`` init from a model config in place (each
    module falls back to its own initialisation); returns where."""
    removed = []
    if isinstance(model_cfg, dict):
        for key in list(model_cfg):
            value = model_cfg[key]
            if key == 'init_cfg':
                if _is_pretrained(value):
                    del model_cfg[key]
                    removed.append(key)
                elif isinstance(value, (list, tuple)):
                    kept = [c for c in value if not _is_pretrained(c)]
                    if len(kept) != len(value):
                        removed.append(key)
                        if kept:
                            model_cfg[key] = kept
                        else:
                            del model_cfg[key]
            else:
                removed += [f'{key}.{r}' for r in remove_pretrained(value)]
    elif isinstance(model_cfg, (list, tuple)):
        for i, value in enumerate(model_cfg):
            removed += [f'[{i}].{r}' for r in remove_pretrained(value)]
    return removed


def use_random_weights(model_cfg, folder: str) -> list:
    """Point every pretrained init of ``model_cfg`` at random weights in
    its source format under ``folder`` (written when absent)."""
    files = []
    for where, init in pretrained_inits(model_cfg):
        name = init.get('weights')
        if not name:
            raise ValueError(f'{where} names no public `weights`; random '
                             'weights need its architecture.')
        path = osp.join(folder, osp.basename(public_weights(name)
                                             ['checkpoint']))
        if not osp.isfile(path):
            write_random_weights(name, path)
        init['checkpoint'] = path
        files.append(path)
    return files
