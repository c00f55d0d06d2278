"""A model's extra state (schema, proxies, SID tables) as one uint8 tensor.

``get_extra_state`` of the retrievers and Cerberus returns
:func:`pack_state`: the state as UTF-8 JSON bytes in a ``uint8`` tensor,
with tensors and arrays inside written as ``{"__tensor__": values,
"dtype": ..., "shape": ...}``. A tensor, because MMEngine's distributed
runs broadcast every state-dict entry after ``init_weights``
(``Runner._init_model_weights``), which takes tensors only; JSON, because a
checkpoint must stay data (loading it unpickles nothing of ours).
:func:`unpack_state` reads it back, and also the plain dicts that
checkpoints written before held.
"""
import json
from typing import Any

import numpy as np
import torch

TENSOR_KEY = '__tensor__'


def _encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        obj = torch.from_numpy(obj)
    if isinstance(obj, torch.Tensor):
        obj = obj.detach().cpu()
        return {TENSOR_KEY: obj.tolist(),
                'dtype': str(obj.dtype).replace('torch.', ''),
                'shape': list(obj.shape)}
    if isinstance(obj, dict):
        bad = [k for k in obj if not isinstance(k, str)]
        if bad:
            raise TypeError(f'Extra state keys must be strings, got {bad}.')
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f'Extra state cannot hold a {type(obj).__name__} ({obj!r}).')


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if TENSOR_KEY in obj:
            dtype = getattr(torch, obj['dtype'])
            return torch.tensor(obj[TENSOR_KEY], dtype=dtype).reshape(
                obj['shape'])
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def pack_state(state: dict) -> torch.Tensor:
    """``state`` as a ``uint8`` tensor of JSON bytes."""
    data = json.dumps(_encode(state)).encode('utf-8')
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()


def unpack_state(state) -> dict:
    """The dict :func:`pack_state` packed (a plain dict, as older
    checkpoints hold it, is returned as it is)."""
    if isinstance(state, dict):
        return state
    if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
        raise TypeError(
            'Extra state must be a uint8 tensor of JSON (or a dict), got '
            f'{type(state).__name__}.')
    try:
        return _decode(json.loads(bytes(state.cpu().numpy()).decode()))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f'Corrupt extra state in the checkpoint: {e}.') \
            from None
