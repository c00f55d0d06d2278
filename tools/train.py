"""Train a model from a config (MMEngine Runner), mmpretrain style."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Train a clear_mm model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision training')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow the --resume / load_from / model.par_checkpoint '
        'checkpoints to unpickle arbitrary objects (only for files you '
        'trust)')
    parser.add_argument(
        '--resume-without-state',
        action='store_true',
        help='resume from a checkpoint without optimizer / scheduler state '
        '(e.g. a best_*.pth): they start afresh')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='let load_from / --resume load a checkpoint that does not fit '
        'the model (what fits is loaded, the rest listed in the log)')
    parser.add_argument(
        '--from-scratch',
        action='store_true',
        help='train from random weights on purpose: drop every pretrained '
        'init (init_cfg of type Pretrained) of the model')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. '
        'model.backbone.arch=tiny train_dataloader.batch_size=32')
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


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.resume_without_state:
        cfg.resume_without_state = True
    if args.partial_load:
        cfg.partial_load = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def prepare_pretrained(cfg, from_scratch: bool) -> None:
    """Drop the pretrained inits when training from scratch on purpose or
    when a checkpoint replaces every weight anyway (resume / load_from);
    otherwise find every outside file now (pretrained weights, language
    model, CLIP, detector), so that the absent ones stop the run in one
    error before anything is built."""
    from mmengine.logging import print_log

    from clear_mm.models.utils.pretrained import (check_pretrained,
                                                  remove_pretrained)
    from clear_mm.utils.checkpoints_root import set_checkpoints_root
    from clear_mm.utils.required_files import (missing_files_message,
                                               required_files)
    set_checkpoints_root(cfg.get('checkpoints_root'))
    replaced = (cfg.get('resume') or cfg.get('load_from')) and \
        not cfg.get('partial_load')
    if from_scratch or replaced:
        removed = remove_pretrained(cfg.model)
        if removed:
            why = ('--from-scratch' if from_scratch else
                   'the weights come from load_from / resume')
            print_log(
                f'Pretrained inits dropped ({why}): '
                + ', '.join(f'model.{r}' for r in removed),
                logger='current')
    errors = []
    if not (from_scratch or replaced):
        try:  # downloads what it may when the machine is online
            check_pretrained(cfg.model)
        except FileNotFoundError as e:
            errors.append(str(e))
    others = [
        f for f in required_files(cfg) if f.kind != 'backbone weights'
    ]
    if missing_files_message(others):
        errors.append(missing_files_message(others))
    if errors:
        raise FileNotFoundError('\n'.join(errors))


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    prepare_pretrained(cfg, args.from_scratch)
    if args.trust_checkpoint:
        from mmengine.runner import find_latest_checkpoint

        from clear_mm.utils import trust_checkpoint

        # --resume without a path resumes the work dir's latest checkpoint
        path = cfg.get('load_from') or (
            cfg.resume and find_latest_checkpoint(cfg.work_dir))
        if path:
            trust_checkpoint(path)
        # a retriever's recognition checkpoint (model.par_checkpoint)
        par = cfg.model.get('par_checkpoint')
        if par:
            trust_checkpoint(par)
    if args.launcher != 'none':
        from clear_mm.engine import setup_cpu_distributed
        setup_cpu_distributed(cfg, args.launcher)  # no-op with GPUs
    from clear_mm.utils import use_safe_checkpoint_loading
    use_safe_checkpoint_loading(cfg)  # load_from / resume, our own scheme
    runner = Runner.from_cfg(cfg)
    runner.train()
    if args.launcher != 'none':
        from clear_mm.engine import teardown_distributed
        teardown_distributed()


if __name__ == '__main__':
    main()
