"""Key converters: a public checkpoint's names onto the target module's
(timm ViT/EVA and Swin, the official Swin, torchvision, MMPretrain, timm
models in ``TIMMBackbone``), and the first blocks of a deeper model."""
import re
from collections import OrderedDict, defaultdict
from typing import Callable, Dict, List, Sequence, Tuple

import torch

from clear_mm.utils.model_converters import (swin_to_mmpretrain,
                                             timm_swin_to_mmpretrain,
                                             timm_vit_to_mmpretrain)

StateDict = Dict[str, torch.Tensor]
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


