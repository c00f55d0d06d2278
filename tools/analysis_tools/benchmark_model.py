"""Parameters, FLOPs and CPU latency of a model and its branch ablations.

    python tools/analysis_tools/benchmark_model.py configs/clear/par_pa100k.py

For the config's model (``full``) and, when its backbone is a
CrossTransformer, its ViT-only and Swin-only variants (Table 5 rows), prints
parameters, FLOPs (MMEngine's complexity analysis, one image) and the median
forward / forward+backward latency at batch 1 and 8, then the ratio
full / (ViT-only + Swin-only) of each number.
"""
import argparse
import copy

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope

from clear_mm.registry import MODELS
from clear_mm.utils.timing import median_seconds


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument(
        '--img-size', type=int, nargs=2, default=None, help='H W')
    parser.add_argument(
        '--out',
        help='write the rows with their provenance (config, preset, commit, '
        'machine, date) to this .json file')
    return parser.parse_args()


def variants(cfg):
    yield 'full', cfg.model
    if cfg.model.backbone.get('type') != 'CrossTransformer':
        return
    for name, branch in (('vit_only', 'global'), ('swin_only', 'local')):
        model = copy.deepcopy(cfg.model)
        model.backbone.branches = (branch, )
        model.head.in_channels = model.neck.embed_dims
        yield name, model


def measure(model_cfg, img_size, batch_sizes, repeats):
    model = MODELS.build(model_cfg)
    params = sum(p.numel() for p in model.parameters())
    model.eval()
    info = get_model_complexity_info(
        model, input_shape=(3, *img_size), show_table=False, show_arch=False)
    row = dict(params_M=params / 1e6, gflops=info['flops'] / 1e9)

    def forward(x):
        with torch.no_grad():
            model(x, mode='tensor')

    def forward_backward(x):
        model(x, mode='tensor').sum().backward()

    for bs in batch_sizes:
        x = torch.randn(bs, 3, *img_size)
        model.eval()
        row[f'fwd_b{bs}_s'] = median_seconds(lambda: forward(x), 1, repeats)
        model.train()
        row[f'fwd_bwd_b{bs}_s'] = median_seconds(lambda: forward_backward(x), 1,
                                              repeats)
        model.zero_grad(set_to_none=True)
    return row


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if cfg.get('custom_imports'):
        __import__(cfg.custom_imports.imports[0])
    img_size = tuple(args.img_size or (256, 128))
    print(f'{args.config}: input {img_size}, {torch.get_num_threads()} CPU '
          f'threads, median of {args.repeats} runs\n')
    rows = {
        name: measure(model_cfg, img_size, args.batch_sizes, args.repeats)
        for name, model_cfg in variants(cfg)
    }
    keys = list(next(iter(rows.values())))
    print('| model | ' + ' | '.join(keys) + ' |')
    print('|' + '---|' * (len(keys) + 1))
    for name, row in rows.items():
        print(f'| {name} | ' + ' | '.join(f'{row[k]:.3f}' for k in keys) +
              ' |')
    if {'vit_only', 'swin_only'} <= set(rows):
        ratio = {
            k: rows['full'][k] / (rows['vit_only'][k] + rows['swin_only'][k])
            for k in keys
        }
        print('| full / (vit_only + swin_only) | ' +
              ' | '.join(f'{ratio[k]:.3f}' for k in keys) + ' |')
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        mmengine.dump(
            dict(
                provenance(args.config, cfg.model),
                input=list(img_size),
                repeats=args.repeats,
                weights='random',
                rows=rows),
            args.out,
            indent=1)


if __name__ == '__main__':
    main()
