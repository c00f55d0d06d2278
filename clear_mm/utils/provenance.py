"""Where a measured number comes from: the code, the model and the machine.

Every number the docs show is written by a command together with this
record (``tools/test.py --record``, the benchmark scripts' ``--out``), so a
reader can tell which preset, which commit and which machine produced it.
"""
import datetime
import hashlib
import os
import os.path as osp
import platform
import subprocess
import sys
from typing import Any, Mapping, Optional

import torch


def git_commit(path: Optional[str] = None) -> dict:
    """The commit of the repository at ``path`` (default: this package's)
    and whether tracked files differ from it.

    Returns:
        dict: ``{'commit': sha or None, 'dirty': bool or None}`` (None when
        the code is not in a git checkout).
    """
    path = path or osp.dirname(osp.dirname(osp.abspath(__file__)))

    def git(*args):
        return subprocess.run(['git', '-C', path, *args],
                              capture_output=True,
                              text=True,
                              check=True).stdout.strip()

    try:
        commit = git('rev-parse', 'HEAD')
        dirty = bool(git('status', '--porcelain', '--untracked-files=no'))
    except (OSError, subprocess.CalledProcessError):
        return dict(commit=None, dirty=None)
    return dict(commit=commit, dirty=dirty)


def machine_info(device: str = 'cpu') -> dict:
    """The hardware and software a measurement ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    info = dict(
        cpu=cpu,
        cores=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        python=platform.python_version(),
        torch=torch.__version__,
        device=str(device))
    if str(device).startswith('cuda') and torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(torch.device(device))
    return info


def find_preset(model_cfg: Any) -> Optional[str]:
    """The backbone preset a model config builds: ``CrossTransformer/<arch>``
    for CLEAR's backbone, else the first backbone's type (with its depth or
    arch), e.g. ``ResNet-50``."""
    fallback = None
    stack = [model_cfg]
    while stack:
        node = stack.pop(0)
        if isinstance(node, Mapping):
            kind = node.get('type')
            if kind == 'CrossTransformer':
                return f"CrossTransformer/{node.get('arch', 'paper')}"
            if fallback is None and 'backbone' in node and isinstance(
                    node['backbone'], Mapping):
                backbone = node['backbone']
                size = backbone.get('depth', backbone.get('arch'))
                fallback = str(backbone.get('type'))
                if isinstance(size, (int, str)):
                    fallback += f'-{size}'
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return fallback


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def provenance(config: Optional[str] = None,
               model_cfg: Any = None,
               checkpoint: Optional[str] = None,
               device: str = 'cpu') -> dict:
    """The record that goes with a measured number.

    Args:
        config (str, optional): The config file measured.
        model_cfg (dict, optional): Its ``model`` (for the preset).
        checkpoint (str, optional): The checkpoint measured.
        device (str): The device it ran on. Defaults to 'cpu'.

    Returns:
        dict: ``config``, ``preset``, ``checkpoint`` and its ``sha256``,
        ``commit``, ``dirty``, ``machine``, ``date`` (UTC, ISO 8601) and
        ``command`` (this process's argv).
    """
    record = dict(config=config)
    if model_cfg is not None:
        record['preset'] = find_preset(model_cfg)
    if checkpoint and osp.isfile(checkpoint):
        record['checkpoint'] = checkpoint
        record['checkpoint_sha256'] = sha256_of(checkpoint)
    record.update(git_commit())
    record['machine'] = machine_info(device)
    record['date'] = datetime.datetime.now(
        datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    record['command'] = ' '.join([osp.relpath(sys.argv[0])] + sys.argv[1:])
    return record
