"""Where pretrained weights come from: the public checkpoints the configs
name, the local file under the checkpoints root, the hub caches, and a
download when the machine is online."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import torch

from clear_mm.utils.checkpoints_root import locate

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
    from clear_mm.utils.checkpoint import load_checkpoint_file
    try:
        ckpt = load_checkpoint_file(path)
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

