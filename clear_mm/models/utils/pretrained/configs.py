"""The pretrained inits of a model config: found, checked before
anything is built, dropped on purpose, or pointed at random weights."""
import os
import os.path as osp
from typing import List, Tuple

import torch
from mmengine.model.weight_init import PretrainedInit

from .files import public_weights, resolve_checkpoint, where_from
from .init import StrictPretrainedInit


def _is_strict(cfg) -> bool:
    return isinstance(cfg, dict) and cfg.get('type') in (
        'StrictPretrained', StrictPretrainedInit)


def _is_pretrained(cfg) -> bool:
    """Ours or MMEngine's ``Pretrained`` (``--from-scratch`` drops both)."""
    return _is_strict(cfg) or (isinstance(cfg, dict) and cfg.get('type') in (
        'Pretrained', PretrainedInit))


def pretrained_inits(model_cfg,
                     path: str = 'model') -> List[Tuple[str, dict]]:
    """Every ``StrictPretrained`` init in a model config as
    ``(where, cfg)``;
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
                found += [(where, c) for c in items if _is_strict(c)]
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
    """Drop every pretrained init (ours and MMEngine's ``Pretrained``)
    from a model config in place (each
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
