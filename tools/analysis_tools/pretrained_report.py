"""Build a config's model, run its pretrained initialisation and print the
load report of every pretrained module (loaded, resampled, taken from a
deeper checkpoint, dropped, fresh, missing, unexpected).

    python tools/analysis_tools/pretrained_report.py \\
        configs/clear/par_pa100k.py
    # offline dry run: random weights written in each source format
    python tools/analysis_tools/pretrained_report.py \\
        configs/clear/par_pa100k.py --random-weights work_dirs/random_weights

With ``--random-weights DIR`` every public checkpoint the config names is
replaced by random weights of the same model in its source format (timm's
or torchvision's key names and shapes), written once to DIR: the key
mapping is checked end to end without downloading anything.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from clear_mm.models.utils.pretrained import (pretrained_inits,
                                              pretrained_reports,
                                              use_random_weights)


def build_and_init(cfg):
    """The model of ``cfg`` after ``init_weights`` and its load reports."""
    import clear_mm  # noqa: F401 - registers the modules
    from clear_mm.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, pretrained_reports(model)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config')
    parser.add_argument(
        '--random-weights',
        metavar='DIR',
        help='write random weights in each source format to DIR and load '
        'those')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    # MMEngine's per-parameter init dump is for the log file, not here
    MMLogger.get_instance('pretrained_report', log_level='WARNING')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if not pretrained_inits(cfg.model):
        print(f'{args.config}: no pretrained initialisation (trained from '
              'scratch by design).')
        return
    if args.random_weights:
        use_random_weights(cfg.model, args.random_weights)
    _, reports = build_and_init(cfg)
    print(f'{args.config}:')
    for name, report in reports:
        print(f'[{name}] ' + report.summary())


if __name__ == '__main__':
    main()
