import logging
import os.path as osp
import warnings

import pytest
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import clear_mm  # noqa: F401  (registers the modules)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
REALDATA = osp.join(osp.dirname(REPO), 'shared', 'realdata')

warnings.filterwarnings('ignore')
init_default_scope('mmpretrain')
# init_weights() logs one line per parameter.
MMLogger.get_current_instance().setLevel(logging.WARNING)


def realdata(name: str) -> str:
    """Path of a file in ../shared/realdata, or skip the test."""
    path = osp.join(REALDATA, name)
    if not osp.exists(path):
        pytest.skip(f'{path} not available')
    return path
