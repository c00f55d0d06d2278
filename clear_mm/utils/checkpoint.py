"""Loading MMEngine checkpoints on torch >= 2.6 with ``weights_only=True``.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.7 calls ``torch.load`` without the argument, so its own checkpoints
(which pickle a ``HistoryBuffer`` and numpy arrays in ``message_hub``) are
refused: ``resume``, ``load_from`` and ``tools/test.py`` break. Instead of
turning ``weights_only`` off, :func:`load_from_local` reads local files
with an allow-list of exactly the classes MMEngine checkpoints contain. A
file holding anything else is refused with a message that names the
offending globals and says how to trust the file explicitly.

Importing clear_mm changes nothing in MMEngine: our APIs and models load
through :func:`load_checkpoint_file`. Our tools (``tools/train.py``,
``tools/test.py``), whose runner loads ``load_from`` and ``--resume``
through MMEngine's ``CheckpointLoader``, call
:func:`use_safe_checkpoint_loading`: it registers a scheme of our own
name, ``clear_mm_safe://``, and points the config's local checkpoint at
it. MMEngine's own local-file loader stays as it is.
"""
import os
import os.path as osp
import pickle
import zipfile
from typing import List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import find_latest_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'CLEAR_MM_TRUSTED_CHECKPOINTS'
#: our scheme in MMEngine's ``CheckpointLoader``: a local file read by
#: :func:`load_from_local` (a name of our own, not MMEngine's ``''``)
SAFE_SCHEME = 'clear_mm_safe://'


def _numpy_globals() -> List:
    multiarray = getattr(np, '_core', getattr(np, 'core', None)).multiarray
    names = [
        'Float64DType', 'Float32DType', 'Float16DType', 'Int64DType',
        'Int32DType', 'Int16DType', 'Int8DType', 'UInt8DType', 'BoolDType'
    ]
    dtypes = [getattr(np.dtypes, n) for n in names if hasattr(np.dtypes, n)]
    return [
        multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
        *dtypes
    ]


def _statistics_method(owner, name: str):
    """A ``getattr`` restricted to HistoryBuffer's statistics methods.

    A HistoryBuffer pickles its ``statistics_methods`` (``min``, ``max``,
    ``mean``, ...) as ``getattr(HistoryBuffer, 'min')``. A general
    ``getattr`` would let a checkpoint reach any attribute of any allowed
    object (``ndarray.tofile`` writes files), so only these are resolved.
    """
    # the built-in ones, registered lazily by the first HistoryBuffer
    allowed = {'min', 'max', 'mean', 'current'}
    allowed |= set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint.')


# What mmengine 0.10.7's CheckpointHook writes besides tensors and builtins:
# message_hub's HistoryBuffer objects, their statistics methods, and the
# numpy arrays/scalars in them.
MMENGINE_SAFE_GLOBALS = [
    HistoryBuffer, (_statistics_method, 'builtins.getattr'),
    *_numpy_globals()
]


def trust_checkpoint(path: str) -> None:
    """Allow ``path`` to be unpickled without restrictions (this process and
    the processes it starts). Only for files from a source you trust."""
    trusted = [p for p in os.environ.get(TRUST_ENV, '').split(os.pathsep) if p]
    trusted.append(osp.abspath(osp.expanduser(path)))
    os.environ[TRUST_ENV] = os.pathsep.join(trusted)


def _is_trusted(path: str) -> bool:
    trusted = os.environ.get(TRUST_ENV, '').split(os.pathsep)
    return osp.abspath(path) in trusted


def _check_checkpoint_file(filename: str) -> None:
    """A clear error for a file that is not a readable checkpoint (empty,
    truncated, another file type), before it is unpickled."""
    size = osp.getsize(filename)
    if size == 0:
        raise ValueError(
            f'Checkpoint {filename} is empty (0 bytes): its save was '
            'interrupted or the copy failed. Use another checkpoint (e.g. '
            'the previous epoch_*.pth).')
    if zipfile.is_zipfile(filename):
        return
    with open(filename, 'rb') as f:
        head = f.read(2)
    if head[:1] != b'\x80':  # neither torch's zip nor its legacy pickle
        raise ValueError(
            f'Checkpoint {filename} ({size} bytes) is not a PyTorch '
            'checkpoint: it is truncated, corrupt or another kind of file.')


def load_from_local(filename: str, map_location=None) -> dict:
    """mmengine's local-file scheme, with ``weights_only`` kept on."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    _check_checkpoint_file(filename)
    if _is_trusted(filename):
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(MMENGINE_SAFE_GLOBALS):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except RuntimeError as e:
        if 'PytorchStreamReader' not in str(e):
            raise
        # the zip reader: a damaged archive
        raise ValueError(
            f'Checkpoint {filename} is corrupt ({str(e).splitlines()[0]}); '
            'use another checkpoint.') from None
    except pickle.UnpicklingError as e:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
        except Exception:  # not a zip checkpoint: keep torch's message
            unsafe = [str(e).splitlines()[0]]
        allowed = {
            g[1] if isinstance(g, tuple) else
            f'{g.__module__}.{g.__qualname__}'
            for g in MMENGINE_SAFE_GLOBALS
        }
        unsafe = [g for g in unsafe if g not in allowed]
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        detail = (
            f'objects outside the allow-list of MMEngine checkpoints: {unsafe}'
            if unsafe else next((line for line in lines if 'not allowed' in line
                                 or 'Unsupported' in line), lines[0]))
        raise pickle.UnpicklingError(
            f'Refusing to load {filename}: {detail}. Loading it could '
            'run arbitrary code. If you trust this file, pass '
            '--trust-checkpoint to tools/test.py or tools/train.py, call '
            'clear_mm.utils.trust_checkpoint(path), or add its absolute path '
            f'to the {TRUST_ENV} environment variable.') from None


def local_path(path: str) -> str:
    """``path`` without :data:`SAFE_SCHEME` (what the user gave)."""
    path = str(path)
    return path[len(SAFE_SCHEME):] if path.startswith(SAFE_SCHEME) else path


def _load_from_safe_scheme(filename: str, map_location=None) -> dict:
    return load_from_local(local_path(filename), map_location=map_location)


def register_safe_scheme() -> None:
    """Register :data:`SAFE_SCHEME` with MMEngine's ``CheckpointLoader``
    (once; nothing calls it on import)."""
    try:
        CheckpointLoader.register_scheme(
            prefixes=SAFE_SCHEME, loader=_load_from_safe_scheme)
    except KeyError:  # registered before in this process
        pass


def use_safe_checkpoint_loading(cfg) -> None:
    """Have the runner built from ``cfg`` read its local ``load_from``
    (``--resume``'s path, or the work dir's latest checkpoint for a plain
    ``--resume``) with :func:`load_from_local`, through
    :data:`SAFE_SCHEME`; other schemes (URLs) are MMEngine's."""
    register_safe_scheme()
    path = cfg.get('load_from')
    if not path and cfg.get('resume'):
        path = find_latest_checkpoint(cfg.work_dir)  # what MMEngine resumes
    if path and '://' not in str(path):
        cfg.load_from = SAFE_SCHEME + str(path)


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """A checkpoint: a local file through :func:`load_from_local`, a URL or
    another scheme through MMEngine's ``CheckpointLoader``."""
    if '://' not in str(path):
        return load_from_local(path, map_location=map_location)
    return CheckpointLoader.load_checkpoint(path, map_location=map_location)


def state_dict_mismatch(model_state: dict, ckpt_state: dict) -> dict:
    """What keeps ``ckpt_state`` from loading into a model whose state dict
    is ``model_state``: ``missing`` (model keys the checkpoint lacks),
    ``unexpected`` (checkpoint keys the model lacks) and ``shape``
    (``(key, checkpoint shape, model shape)``), each in state-dict order."""
    shape = []
    for key, value in model_state.items():
        other = ckpt_state.get(key)
        if key.endswith('_extra_state'):  # packed data, any length
            continue
        if (isinstance(value, torch.Tensor)
                and isinstance(other, torch.Tensor)
                and value.shape != other.shape):
            shape.append((key, tuple(other.shape), tuple(value.shape)))
    return dict(
        missing=[k for k in model_state if k not in ckpt_state],
        unexpected=[k for k in ckpt_state if k not in model_state],
        shape=shape)


def describe_mismatch(mismatch: dict, first: int = 5) -> str:
    """One line per kind of mismatch, with its first ``first`` keys."""
    parts = []
    for kind, label in (('missing', 'missing from the checkpoint'),
                        ('unexpected', 'not in the model'),
                        ('shape', 'of another shape (checkpoint vs model)')):
        items = mismatch[kind]
        if not items:
            continue
        shown = [
            f'{k} {tuple(a)} vs {tuple(b)}' for k, a, b in items[:first]
        ] if kind == 'shape' else items[:first]
        more = f' and {len(items) - first} more' if len(items) > first else ''
        parts.append(f'{len(items)} {label}: {", ".join(shown)}{more}')
    return '; '.join(parts)


def load_model_weights(model: torch.nn.Module, path: str,
                       what: str = 'the model') -> dict:
    """Load the checkpoint ``path`` into ``model`` strictly; a checkpoint
    that does not fit (missing or unexpected keys, other shapes) is a
    ``ValueError`` naming ``what``, the file and the first mismatching
    keys. Returns the loaded checkpoint."""
    checkpoint = load_checkpoint_file(path)
    state = checkpoint.get('state_dict', checkpoint)
    state = {k[len('module.'):] if k.startswith('module.') else k: v
             for k, v in state.items()}
    mismatch = state_dict_mismatch(model.state_dict(), state)
    if any(mismatch.values()):
        raise ValueError(
            f'{path} does not fit {what}: {describe_mismatch(mismatch)}. '
            'Give a checkpoint trained with this config.')
    model.load_state_dict(state, strict=True)
    return checkpoint
