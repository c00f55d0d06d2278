"""Evaluate a checkpoint on a config's test split (MMEngine Runner)."""
import argparse
import os
import os.path as osp

import mmengine
from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Test a clear_mm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (none for models without training, e.g. '
        'CLIPZeroShotPAR)')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out', help='dump the metrics to this json/yaml/pkl file')
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision inference')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow the checkpoint to unpickle arbitrary objects (only for '
        'files you trust)')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load a checkpoint that does not fit the model (other keys or '
        'shapes): what fits is loaded, the rest is listed in the log')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if not args.checkpoint and cfg.get('train_dataloader') is not None:
        raise SystemExit(
            f'{args.config} trains its model: give the checkpoint to test '
            '(only models without training, e.g. CLIPZeroShotPAR, are '
            'tested without one).')
    cfg.load_from = args.checkpoint
    if args.partial_load:
        cfg.partial_load = True
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.trust_checkpoint and args.checkpoint:
        from clear_mm.utils import trust_checkpoint
        trust_checkpoint(args.checkpoint)

    if args.launcher != 'none':
        from clear_mm.engine import setup_cpu_distributed
        setup_cpu_distributed(cfg, args.launcher)  # no-op with GPUs
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        width = max(len(k) for k in metrics)
        print('\n'.join(['', 'Test results:'] + [
            f'  {k:<{width}}  {v:7.2f}' if isinstance(v, float) else
            f'  {k:<{width}}  {v}' for k, v in metrics.items()
        ]))
        if args.out:
            mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
