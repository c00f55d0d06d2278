"""Distributed runs on machines without GPUs (MMEngine DDP over gloo).

MMEngine's launcher calls ``torch.cuda.set_device`` before it creates the
process group, and its Runner gives ``MMDistributedDataParallel``
``device_ids=[LOCAL_RANK]``, which torch refuses for a model on the CPU. On
a machine without CUDA, ``tools/train.py`` / ``tools/test.py`` with
``--launcher pytorch`` (``tools/dist_train.sh``, ``dist_test.sh``) call
:func:`setup_cpu_distributed`: the gloo process group is created first
(MMEngine then skips its own launcher), and the model is wrapped by
:class:`CPUDistributedDataParallel`.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.model import MMDistributedDataParallel

from clear_mm.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for a model on the CPU: the
    ``device_ids`` the Runner passes are dropped (torch's DDP takes none
    for CPU modules)."""

    def __init__(self, module, device_ids=None, output_device=None,
                 **kwargs):
        super().__init__(module=module, **kwargs)


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Prepare ``cfg`` and the process group for a distributed run on the
    CPU. Returns whether it did (only for ``launcher='pytorch'`` on a
    machine without CUDA)."""
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise SystemExit(
            f'--launcher {launcher} needs GPUs here; on a machine without '
            'them use --launcher pytorch (torchrun, tools/dist_train.sh).')
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg['dist_cfg'] = dict(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    # MMEngine's runner looks the wrapper up in its root registry, which
    # finds ours (in the clear_mm scope) by its import path
    wrapper['type'] = ('clear_mm.engine.distributed.'
                       'CPUDistributedDataParallel')
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    return True


def teardown_distributed() -> None:
    """Destroy the default process group at the end of a run. A gloo
    group left to the interpreter's exit can abort the process ("terminate
    called without an active exception", SIGABRT) after the work is done,
    which fails the launcher; seen once in the 2-process test."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def init_launcher(launcher: str) -> int:
    """The process group of a tool run under torchrun (``--launcher
    pytorch``; gloo without CUDA, MMEngine's NCCL launcher with it); returns
    this process's rank (0 without a launcher)."""
    if launcher == 'none':
        return 0
    if launcher != 'pytorch':
        raise SystemExit(f'--launcher: none or pytorch, got {launcher!r}.')
    if 'RANK' not in os.environ:
        raise SystemExit('--launcher pytorch: start the tool with torchrun '
                         '(it sets RANK, WORLD_SIZE and MASTER_ADDR).')
    if torch.cuda.is_available():
        from mmengine.dist import init_dist
        init_dist('pytorch')
    elif not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    return torch_dist.get_rank()
