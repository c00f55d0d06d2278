"""Parameters, FLOPs and speed of a model: its branch ablations on a CPU,
or its training and inference throughput on a GPU.

    # the cross-fusion's cost: the model and its ViT-only and Swin-only
    # variants (Table 5 rows), with an operator profile of the difference
    python tools/analysis_tools/benchmark_model.py configs/clear/par_pa100k.py \
        --profile --out results/benchmark_model_paper.json
    # throughput on a GPU: fp32, AMP bf16, channels-last, torch.compile
    python tools/analysis_tools/benchmark_model.py configs/clear/par_pa100k.py \
        --throughput --device cuda --batch-sizes 64 \
        --out results/benchmark_model_paper_gpu.json

Ablations (default): for the config's model (``full``) and, when its
backbone is a CrossTransformer, its ViT-only and Swin-only variants,
parameters, FLOPs (MMEngine's complexity analysis, one image) and the
median forward / forward+backward seconds at each batch size, the three
models timed in alternating blocks (``interleaved_medians``), then the
ratio full / (ViT-only + Swin-only) of each number. ``--profile`` adds
torch.profiler's self time per operator type of one forward+backward at
the largest batch size, for the full model against the two branches
together (where the cross-fusion's extra time goes), and the minor page
faults of one step of each: memory the allocator returned to the system
and takes again. glibc's ``MALLOC_*`` settings of the run are recorded.

Throughput (``--throughput``): images per second of a training step
(forward, BCE loss, backward, AdamW step) and of inference, with the peak
memory of each (CUDA), for fp32, AMP bf16 (autocast), channels-last and
``torch.compile`` (fp32 and bf16). The model FLOP utilisation of training
is ``6 x MACs per image x images/s`` over the card's dense bf16 peak
(``--peak-tflops``, or the card's from a table of known ones): MMEngine
counts a multiply-add as one FLOP, a forward costs two FLOPs per MAC and a
backward twice a forward.
"""
import argparse
import copy
import os
import resource
from contextlib import nullcontext

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope

from clear_mm.registry import MODELS
from clear_mm.utils.timing import interleaved_medians

#: dense bf16 peak TFLOP/s (no sparsity) of cards by name
PEAK_BF16_TFLOPS = {
    'H200': 989.4,
    'H100 PCIe': 756.0,
    'H100': 989.4,  # SXM
    'A100': 312.0,
    'L40S': 362.1,
    'L4': 121.0,
    'A10': 125.0,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--repeats', type=int, default=6)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--img-size', type=int, nargs=2, default=None, help='H W')
    parser.add_argument('--profile', action='store_true',
                        help='operator profile of full vs the branches')
    parser.add_argument('--throughput', action='store_true',
                        help='training and inference images/s per variant')
    parser.add_argument('--no-compile', action='store_true')
    parser.add_argument('--peak-tflops', type=float,
                        help='dense bf16 peak of the card, for the MFU')
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


def complexity(model, img_size):
    model.eval()
    info = get_model_complexity_info(
        model, input_shape=(3, *img_size), show_table=False, show_arch=False)
    return dict(params_M=sum(p.numel() for p in model.parameters()) / 1e6,
                gflops=info['flops'] / 1e9)


def ablations(cfg, img_size, args):
    models = {name: MODELS.build(c) for name, c in variants(cfg)}
    rows = {name: complexity(m, img_size) for name, m in models.items()}

    def forward(model, x):
        model.eval()
        with torch.no_grad():
            model(x, mode='tensor')

    def forward_backward(model, x):
        model.train()
        model(x, mode='tensor').sum().backward()
        model.zero_grad(set_to_none=True)

    for bs in args.batch_sizes:
        x = torch.randn(bs, 3, *img_size)
        for key, step in ((f'fwd_b{bs}_s', forward),
                          (f'fwd_bwd_b{bs}_s', forward_backward)):
            seconds = interleaved_medians(
                {n: (lambda m=m: step(m, x)) for n, m in models.items()}, 1,
                args.repeats)
            for name, s in seconds.items():
                rows[name][key] = s
    profile = None
    if args.profile and {'vit_only', 'swin_only'} <= set(models):
        profile = operator_profile(models, img_size, max(args.batch_sizes))
    return rows, profile


def operator_profile(models, img_size, batch):
    """Self CPU seconds per operator type of one forward+backward (after
    one untimed) of each model; the full model against the two branches
    together, the largest differences first."""
    from torch.profiler import ProfilerActivity, profile
    x = torch.randn(batch, 3, *img_size)
    times, faults = {}, {}
    for name, model in models.items():
        model.train()
        model(x, mode='tensor').sum().backward()
        model.zero_grad(set_to_none=True)
        # fresh pages the step asks the kernel for (memory the allocator
        # gave back and takes again)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        model(x, mode='tensor').sum().backward()
        model.zero_grad(set_to_none=True)
        faults[name] = resource.getrusage(
            resource.RUSAGE_SELF).ru_minflt - before
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            model(x, mode='tensor').sum().backward()
        model.zero_grad(set_to_none=True)
        times[name] = {
            e.key: e.self_cpu_time_total / 1e6
            for e in prof.key_averages()
        }
    ops = set().union(*times.values())
    rows = []
    for op in ops:
        full = times['full'].get(op, 0.0)
        parts = times['vit_only'].get(op, 0.0) + \
            times['swin_only'].get(op, 0.0)
        rows.append(dict(op=op, full_s=full, branches_s=parts,
                         extra_s=full - parts))
    rows.sort(key=lambda r: -abs(r['extra_s']))
    totals = {n: sum(t.values()) for n, t in times.items()}
    print(f'\nOperator profile, forward+backward at batch {batch} (self CPU '
          f'seconds): full {totals["full"]:.2f}, ViT-only + Swin-only '
          f'{totals["vit_only"] + totals["swin_only"]:.2f}')
    print('| operator | full (s) | branches (s) | full - branches (s) |')
    print('|---|---|---|---|')
    for r in rows[:15]:
        print(f'| {r["op"]} | {r["full_s"]:.3f} | {r["branches_s"]:.3f} | '
              f'{r["extra_s"]:+.3f} |')
    print('Minor page faults of one step: ' +
          ', '.join(f'{n} {c}' for n, c in faults.items()))
    return dict(batch=batch, totals_s=totals, operators=rows[:25],
                page_faults=faults)


def peak_tflops(args):
    if args.peak_tflops:
        return args.peak_tflops
    if args.device != 'cuda':
        return None
    name = torch.cuda.get_device_name()
    for key, value in PEAK_BF16_TFLOPS.items():
        if key in name:
            return value
    print(f'{name}: dense bf16 peak unknown; give --peak-tflops for the MFU.')
    return None


def throughput(cfg, img_size, args):
    """Training and inference images/s (and CUDA peak memory) of each
    variant at each batch size."""
    device = torch.device(args.device)
    model = MODELS.build(cfg.model).to(device)
    macs = complexity(model, img_size)['gflops'] * 1e9
    peak = peak_tflops(args)
    num_classes = cfg.model.head.num_classes
    settings = {
        'fp32': dict(dtype=None, channels_last=False, compiled=False),
        'bf16': dict(dtype=torch.bfloat16, channels_last=False,
                     compiled=False),
        'channels_last': dict(dtype=None, channels_last=True,
                              compiled=False),
    }
    if not args.no_compile:
        settings['compile'] = dict(dtype=None, channels_last=False,
                                   compiled=True)
        settings['compile_bf16'] = dict(dtype=torch.bfloat16,
                                        channels_last=False, compiled=True)
    sync = torch.cuda.synchronize if args.device == 'cuda' else (lambda: 0)
    rows = []
    for name, s in settings.items():
        net = copy.deepcopy(model)
        if s['channels_last']:
            net = net.to(memory_format=torch.channels_last)
        forward = torch.compile(net) if s['compiled'] else net
        optim = torch.optim.AdamW(net.parameters(), lr=1e-4)

        def amp(s=s):
            return torch.autocast(args.device, s['dtype']) \
                if s['dtype'] is not None else nullcontext()

        for bs in args.batch_sizes:
            x = torch.randn(bs, 3, *img_size, device=device)
            if s['channels_last']:
                x = x.contiguous(memory_format=torch.channels_last)
            y = torch.randint(0, 2, (bs, num_classes), device=device).float()

            def train_step():
                net.train()
                with amp():
                    logits = forward(x, mode='tensor')
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits.float(), y)
                loss.backward()
                optim.step()
                optim.zero_grad(set_to_none=True)
                sync()

            def infer_step():
                net.eval()
                with torch.no_grad(), amp():
                    forward(x, mode='tensor')
                sync()

            row = dict(variant=name, batch=bs)
            for key, step in (('train', train_step), ('infer', infer_step)):
                if args.device == 'cuda':
                    torch.cuda.reset_peak_memory_stats()
                try:
                    seconds = interleaved_medians({key: step}, 2,
                                                  args.repeats, rounds=1)
                except Exception as e:  # compile failure, out of memory
                    print(f'  {name} {key} batch {bs}: {type(e).__name__}: '
                          f'{str(e).splitlines()[0][:150]}')
                    continue
                row[f'{key}_img_s'] = bs / seconds[key]
                if args.device == 'cuda':
                    row[f'{key}_peak_memory_MiB'] = \
                        torch.cuda.max_memory_allocated() / 2**20
            if 'train_img_s' in row:
                row['train_tflops'] = 6 * macs * row['train_img_s'] / 1e12
                if peak:
                    row['train_mfu'] = row['train_tflops'] / peak
            rows.append(row)
            print(f'  {name} batch {bs}: ' + ', '.join(
                f'{k} {v:.2f}' for k, v in row.items()
                if isinstance(v, float)), flush=True)
    return dict(macs_per_image=macs, peak_bf16_tflops=peak,
                rows=rows)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: PyTorch sees no CUDA device here.')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if cfg.get('custom_imports'):
        __import__(cfg.custom_imports.imports[0])
    img_size = tuple(args.img_size or (256, 128))
    card = torch.cuda.get_device_name() if args.device == 'cuda' else None
    print(f'{args.config}: input {img_size}, {torch.get_num_threads()} CPU '
          f'threads{", " + card if card else ""}, median of {args.repeats} '
          'runs\n')
    record = dict(input=list(img_size), repeats=args.repeats,
                  weights='random', device=args.device, card=card,
                  # glibc's allocator settings change CPU timings
                  environment={k: v for k, v in os.environ.items()
                               if k.startswith('MALLOC_')})
    if args.throughput:
        record['throughput'] = throughput(cfg, img_size, args)
    else:
        rows, profile = ablations(cfg, img_size, args)
        keys = list(next(iter(rows.values())))
        print('| model | ' + ' | '.join(keys) + ' |')
        print('|' + '---|' * (len(keys) + 1))
        for name, row in rows.items():
            print(f'| {name} | ' +
                  ' | '.join(f'{row[k]:.3f}' for k in keys) + ' |')
        if {'vit_only', 'swin_only'} <= set(rows):
            ratio = {
                k: rows['full'][k] /
                (rows['vit_only'][k] + rows['swin_only'][k])
                for k in keys
            }
            print('| full / (vit_only + swin_only) | ' +
                  ' | '.join(f'{ratio[k]:.3f}' for k in keys) + ' |')
        record['rows'] = rows
        if profile is not None:
            record['profile'] = profile
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        mmengine.dump(
            dict(provenance(args.config, cfg.model, device=args.device),
                 **record),
            args.out,
            indent=1)


if __name__ == '__main__':
    main()
