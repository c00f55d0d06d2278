"""Where the outside files a config needs live: the checkpoints root.

Configs name such files ``checkpoints/<name>`` (pretrained backbone
weights, the CLIP folder, the person detector, a language model's
folder). That prefix stands for the checkpoints root, which is, in this
order: the ``CLEAR_MM_CHECKPOINTS`` environment variable, a config's
``checkpoints_root`` key (set by the tools through
:func:`set_checkpoints_root`), or the ``checkpoints`` folder of the
repository clear_mm runs from (so a run finds the same files whatever its
working directory; ``./checkpoints`` for an install without the
repository).
"""
import os
import os.path as osp
from pathlib import Path
from typing import Optional

ENV = 'CLEAR_MM_CHECKPOINTS'
PREFIX = 'checkpoints/'
REPO_ROOT = Path(__file__).resolve().parents[2]
_config_root: Optional[str] = None


def set_checkpoints_root(root: Optional[str]) -> None:
    """The root a config's ``checkpoints_root`` key asks for (None: back to
    the default). The environment variable still wins."""
    global _config_root
    _config_root = None if root is None else osp.expanduser(str(root))


def checkpoints_root() -> str:
    """The folder that ``checkpoints/`` in a config stands for."""
    env = os.environ.get(ENV)
    if env:
        return osp.expanduser(env)
    if _config_root:
        return _config_root
    if (REPO_ROOT / 'configs').is_dir():  # running from a checkout
        return str(REPO_ROOT / 'checkpoints')
    return osp.abspath('checkpoints')


def locate(path: Optional[str]) -> Optional[str]:
    """A config's file path on this machine: ``checkpoints/<name>`` under
    the checkpoints root; any other path unchanged (``~`` expanded)."""
    if path is None:
        return None
    path = osp.expanduser(str(path))
    if path.startswith(PREFIX):
        return osp.join(checkpoints_root(), path[len(PREFIX):])
    return path
