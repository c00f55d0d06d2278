"""Evaluate a checkpoint on a config's test split (MMEngine Runner)."""
import argparse
import copy
import os
import os.path as osp

import mmengine
from mmengine.config import Config, ConfigDict, DictAction
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
        '--record',
        help='write the metrics with where they come from (config, preset, '
        'checkpoint sha256, commit, machine, date) to this .json file, '
        'which tools/misc/record_results.py puts into the metafile')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        default='metrics',
        help="what --out holds: the metrics (default here) or, as "
        "mmpretrain's tools/test.py defaults to, the predictions (as --dump)")
    parser.add_argument(
        '--dump',
        help="write every test image's prediction (attribute scores and "
        'true labels, or the embedding of a retrieval model) to this .pkl '
        "(mmpretrain's `--out-item pred` format), .json or .csv file")
    parser.add_argument(
        '--show-dir',
        help='draw the test images with predicted and true attributes here')
    parser.add_argument(
        '--show-interval',
        type=int,
        default=1,
        help='draw every n-th test image (with --show-dir)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation (attribute recognition models): the "
        "config's tta_model/tta_pipeline, else the scores averaged over "
        'the image and its horizontal flip')
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


def add_tta(cfg, config: str) -> None:
    """mmpretrain's ``--tta``: the model wrapped in its TTA model, the test
    pipeline replaced by a multi-view one (default: the image and its
    horizontal flip, scores averaged). Attribute recognition models
    only: a retrieval model's embeddings are not averaged."""
    if cfg.model.get('type') != 'ImageClassifier':
        raise SystemExit(
            f'--tta: {config} builds a {cfg.model.get("type")}; test-time '
            'augmentation applies to attribute recognition models '
            '(ImageClassifier: CLEAR and the baselines).')
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
    if 'tta_pipeline' not in cfg:
        pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        cfg.tta_pipeline = pipeline[:-1] + [
            dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(type='RandomFlip', prob=0.),
                        dict(type='RandomFlip', prob=1.)
                    ],
                    [pipeline[-1]],
                ])
        ]
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


TRAINING_ONLY_HOOKS = ('EarlyStoppingHook', 'mmengine.EarlyStoppingHook')


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('checkpoints_root'):
        from clear_mm.utils.checkpoints_root import set_checkpoints_root
        set_checkpoints_root(cfg.checkpoints_root)
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
    # hooks that only steer training: MMEngine's EarlyStoppingHook builds
    # the training loop (and its data) in before_run, even in a test run
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h.get('type') not in TRAINING_ONLY_HOOKS
    ]
    if args.partial_load:
        cfg.partial_load = True
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.out and args.out_item == 'pred':
        if args.dump:
            raise SystemExit('--out-item pred makes --out the prediction '
                             'dump; give --dump or --out, not both.')
        args.dump, args.out = args.out, None
    if args.dump:
        cfg.test_evaluator = list(
            cfg.test_evaluator if isinstance(cfg.test_evaluator, (
                list, tuple)) else [cfg.test_evaluator])
        cfg.test_evaluator.append(
            dict(type='DumpPredictions', out_file_path=args.dump))
    if args.show_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(
                type='AttributeVisualizationHook',
                out_dir=args.show_dir,
                interval=args.show_interval)
        ]
    if args.tta:
        add_tta(cfg, args.config)
    if args.trust_checkpoint and args.checkpoint:
        from clear_mm.utils import trust_checkpoint
        trust_checkpoint(args.checkpoint)

    if args.launcher != 'none':
        from clear_mm.engine import setup_cpu_distributed
        setup_cpu_distributed(cfg, args.launcher)  # no-op with GPUs
    from clear_mm.utils import use_safe_checkpoint_loading
    use_safe_checkpoint_loading(cfg)  # load_from / resume, our own scheme
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.launcher != 'none':
        from clear_mm.engine import teardown_distributed
        teardown_distributed()
    if runner.rank == 0:
        width = max(len(k) for k in metrics)
        print('\n'.join(['', 'Test results:'] + [
            f'  {k:<{width}}  {v:7.2f}' if isinstance(v, float) else
            f'  {k:<{width}}  {v}' for k, v in metrics.items()
        ]))
        if args.out:
            mmengine.dump(metrics, args.out)
        if args.record:
            from clear_mm.utils.provenance import provenance
            record = provenance(args.config, cfg.model, args.checkpoint)
            if args.cfg_options:
                record['cfg_options'] = {
                    k: str(v)
                    for k, v in args.cfg_options.items()
                }
            record['metrics'] = {
                k: float(v)
                for k, v in metrics.items() if isinstance(v, (int, float))
            }
            mmengine.dump(record, args.record, indent=1)


if __name__ == '__main__':
    main()
