"""Images per second of attribute recognition, every way this project runs
a model, side by side in one run, for the tiny and the paper presets
(random weights: speed does not depend on them; ``onnx_accuracy.py``
measures what each precision costs a trained model).

On a CPU (the default): PyTorch eager, ``torch.compile`` (inductor, static
shapes) and ONNX Runtime in fp32, fp16 and int8 (dynamic, or static with
``--calibration DIR``), each ONNX graph in the session
:class:`clear_mm.deployment.runtime.OnnxGraph` makes (batch fixed).
``--sweep`` also times ONNX Runtime's session settings one at a time
against that default: the dynamic batch, the graph optimisation levels,
one thread, no memory pattern, no spin-waiting, IO binding, ONNX
Runtime's transformer fusions, int8 with the convolutions too.

On a GPU (``--device cuda``): eager fp32, AMP bf16 (autocast),
channels-last, ``torch.compile`` in fp32 and bf16, and ONNX Runtime's CUDA
(fp32, fp16) and TensorRT (fp16) providers when installed; with the peak
memory of each PyTorch variant.

    python tools/analysis_tools/benchmark_inference.py --sweep \
        --out results/benchmark_inference.json
    python tools/analysis_tools/benchmark_inference.py --device cuda \
        --batch-sizes 1 8 64 --out results/benchmark_inference_gpu.json

Each number is the median over ``--repeats`` timed runs, taken in blocks
that alternate between the variants (``interleaved_medians``); ONNX
Runtime uses as many threads as PyTorch. ``max_difference`` is the largest
|score - eager fp32 score| of each variant on the timed images. Needs
requirements/deploy.txt.
"""
import argparse
import os.path as osp
import re
import tempfile
import time
from contextlib import nullcontext

import numpy as np
import torch

from clear_mm.utils.timing import interleaved_medians

PRESETS = dict(
    tiny='configs/clear/par_synthetic.py',
    paper='configs/clear/par_pa100k.py',
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--presets', nargs='+', default=list(PRESETS),
                        choices=list(PRESETS))
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 8])
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--no-compile', action='store_true',
                        help='skip torch.compile')
    parser.add_argument('--precisions', nargs='+',
                        default=['fp32', 'fp16', 'int8'],
                        choices=['fp32', 'fp16', 'int8'],
                        help='ONNX Runtime graphs to time (fp32 always)')
    parser.add_argument('--calibration',
                        help='images for a static int8 graph (else dynamic)')
    parser.add_argument('--sweep', action='store_true',
                        help='also time ONNX Runtime session settings one '
                        'at a time (CPU)')
    parser.add_argument('--pause', type=float, default=0.2,
                        help='seconds between two timed blocks (spin-waiting '
                        'threads of the previous variant go idle)')
    parser.add_argument('--sweep-repeats', type=int, default=6,
                        help='timed runs of each setting and of the default '
                        'beside it')
    parser.add_argument('--out', help='write the rows with their provenance '
                        '(commit, machine, date) to this .json file')
    return parser.parse_args()


def build(config: str):
    from mmengine.config import Config
    from mmpretrain.apis import get_model

    from clear_mm.deployment.onnx_export import (AttributeScores,
                                                 graph_input_size)
    cfg = Config.fromfile(config)
    model = get_model(cfg, pretrained=False)
    return AttributeScores(model).eval(), model, graph_input_size(cfg)


def torch_variants(wrapper, size, device, compile_ok):
    """name -> (module, autocast dtype or None, channels_last)."""
    variants = {'eager': (wrapper, None, False)}
    compiled = None
    if compile_ok:
        try:
            # static shapes: one graph per batch size, compiled in the
            # warm-up (dynamic shapes compile far slower on a CPU)
            compiled = torch.compile(wrapper, dynamic=False)
            with torch.no_grad():
                compiled(torch.rand(1, 3, *size, device=device) * 255)
        except Exception as e:  # no compiler, unsupported op, ...
            print(f'  torch.compile does not work here: '
                  f'{type(e).__name__}: {str(e).splitlines()[0][:150]}')
            compiled = None
    if compiled is not None:
        variants['compile'] = (compiled, None, False)
    if device == 'cuda':
        variants['eager_bf16'] = (wrapper, torch.bfloat16, False)
        variants['channels_last'] = (wrapper, None, True)
        if compiled is not None:
            variants['compile_bf16'] = (compiled, torch.bfloat16, False)
    return variants


def ort_graphs(path, tmp, preset, args, size):
    """name -> (path, providers) of the ONNX Runtime variants."""
    import onnxruntime as ort

    from clear_mm.deployment.precision import convert_precision
    available = ort.get_available_providers()
    paths = {'fp32': path}
    for precision in args.precisions:
        if precision != 'fp32':
            paths[precision] = convert_precision(
                path, osp.join(tmp, f'{preset}_{precision}.onnx'),
                precision,
                args.calibration if precision == 'int8' else None, size)
    graphs = {}
    if args.device == 'cpu':
        for precision, p in paths.items():
            name = 'onnxruntime' + ('' if precision == 'fp32' else
                                    f'_{precision}')
            graphs[name] = (p, ['CPUExecutionProvider'])
        return graphs
    if 'CUDAExecutionProvider' not in available:
        print(f'  ONNX Runtime has no CUDA provider here ({available}): '
              'install onnxruntime-gpu for its rows.')
        return graphs
    graphs['ort_cuda'] = (paths['fp32'], ['CUDAExecutionProvider'])
    if 'fp16' in paths:
        graphs['ort_cuda_fp16'] = (paths['fp16'], ['CUDAExecutionProvider'])
    if 'TensorrtExecutionProvider' in available:
        graphs['ort_tensorrt_fp16'] = (paths['fp32'], [
            ('TensorrtExecutionProvider', {'trt_fp16_enable': True}),
            'CUDAExecutionProvider'
        ])
    else:
        print('  ONNX Runtime has no TensorRT provider here.')
    return graphs


def sweep_settings(path, tmp, preset, batch, calibration, size):
    """setting -> a function making its OnnxGraph: one change each from
    the default (``OnnxGraph(path, batch_size=batch)``)."""
    from clear_mm.deployment.precision import convert_precision
    from clear_mm.deployment.runtime import OnnxGraph
    settings = {
        'dynamic batch': (path, dict(batch_size=None)),
        'optimisation: disable': (path, dict(optimization='disable')),
        'optimisation: basic': (path, dict(optimization='basic')),
        'optimisation: extended': (path, dict(optimization='extended')),
        '1 thread': (path, dict(threads=1)),
        'no memory pattern': (path, dict(mem_pattern=False)),
        'no spin-waiting': (path, dict(spinning=False)),
        'IO binding': (path, {}),
    }
    fused = osp.join(tmp, f'{preset}_fused.onnx')
    if not osp.exists(fused):
        from onnxruntime.transformers.optimizer import optimize_model
        optimized = optimize_model(path, model_type='vit', num_heads=0,
                                   hidden_size=0, opt_level=0,
                                   use_gpu=False)
        counts = {k: v for k, v in
                  optimized.get_fused_operator_statistics().items() if v}
        print(f'  ONNX Runtime transformer fusions (model_type vit): '
              f'{counts}', flush=True)
        optimized.save_model_to_file(fused)
    settings['transformer fusions (vit)'] = (fused, {})
    int8 = osp.join(tmp, f'{preset}_int8.onnx')
    if osp.exists(int8):
        how = 'static convolutions, ' if calibration else ''
        settings[f'int8 ({how}dynamic MatMul, Gemm)'] = (int8, {})
        alternatives = {
            'int8 dynamic, convolutions too': dict(int8_ops=None,
                                                   calibration=None),
        }
        if calibration:
            alternatives['int8 dynamic, no static convolutions'] = dict(
                calibration=None)
            alternatives['int8 static, matrix products too'] = dict(
                static_ops=('Conv', 'MatMul', 'Gemm'))
        for name, options in alternatives.items():
            slug = re.sub('[^a-z0-9]+', '_', name)
            other = osp.join(tmp, f'{preset}_{slug}.onnx')
            if not osp.exists(other):
                convert_precision(path, other, 'int8',
                                  **dict(dict(calibration=calibration,
                                              image_size=size), **options))
            settings[name] = (other, {})
    return {
        name: (lambda p=p, o=o: OnnxGraph(p, **dict(dict(batch_size=batch),
                                                  **o)))
        for name, (p, o) in settings.items()
    }


def io_binding_runner(graph, x: np.ndarray):
    """A run of ``graph`` through IO binding: the input bound once, the
    outputs allocated by ONNX Runtime and copied out."""
    binding = graph.session.io_binding()
    binding.bind_cpu_input('images', x)
    for name in graph.output_names:
        binding.bind_output(name)

    def run():
        graph.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()

    return run


def main():
    args = parse_args()
    import onnxruntime as ort

    from clear_mm.deployment import export_onnx, max_difference
    from clear_mm.deployment.runtime import OnnxGraph
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: PyTorch sees no CUDA device here.')
    device = torch.device(args.device)
    ort.set_default_logger_severity(3)  # errors only
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    card = torch.cuda.get_device_name() if args.device == 'cuda' else None
    rows, sweep, presets = [], [], {}
    for preset in args.presets:
        wrapper, model, size = build(PRESETS[preset])
        params = sum(p.numel() for p in model.parameters()) / 1e6
        presets[preset] = dict(config=PRESETS[preset], input=list(size),
                               params_M=round(params, 2))
        print(f'{preset}: {PRESETS[preset]}, input {size[0]}x{size[1]}, '
              f'{params:.1f} M parameters', flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            path = osp.join(tmp, f'{preset}.onnx')
            start = time.perf_counter()
            exported = export_onnx(model, 'recognition', path, size)
            seconds = time.perf_counter() - start
            diff = max_difference(exported, path, 'recognition', model, size)
            print(f'  exported in {seconds:.0f} s; max |ONNX Runtime - '
                  f'PyTorch| = {diff:.1e} at batch 1 and 3', flush=True)
            presets[preset]['onnx_max_difference'] = float(diff)
            wrapper.to(device)
            variants = torch_variants(wrapper, size, args.device,
                                      not args.no_compile)
            graphs = ort_graphs(path, tmp, preset, args, size)
            for batch in args.batch_sizes:
                x = torch.rand(batch, 3, *size) * 255
                xd = x.to(device)
                feed = x.numpy()
                with torch.no_grad():
                    reference = wrapper(xd).float().cpu().numpy()
                fns, outputs, memory = {}, {}, {}
                for name, (module, dtype, channels_last) in variants.items():
                    inp = xd.contiguous(memory_format=torch.channels_last) \
                        if channels_last else xd

                    def call(module=module, dtype=dtype, inp=inp):
                        amp = torch.autocast(args.device, dtype) \
                            if dtype is not None else nullcontext()
                        with torch.no_grad(), amp:
                            out = module(inp)
                        if args.device == 'cuda':
                            torch.cuda.synchronize()
                        return out

                    if args.device == 'cuda':
                        torch.cuda.reset_peak_memory_stats()
                    outputs[name] = call().float().cpu().numpy()
                    if args.device == 'cuda':
                        memory[name] = torch.cuda.max_memory_allocated() / \
                            2**20
                    fns[name] = call
                for name, (p, providers) in graphs.items():
                    graph = OnnxGraph(p, batch_size=batch, threads=threads,
                                      providers=providers)
                    fns[name] = lambda graph=graph: graph.run(feed)
                    outputs[name] = fns[name]()['scores']
                seconds = interleaved_medians(fns, args.warmup, args.repeats,
                                              pause=args.pause)
                row = dict(preset=preset, batch=batch, variants={
                    name: dict(img_s=batch / seconds[name],
                               max_difference=float(
                                   np.abs(outputs[name] - reference).max()))
                    for name in fns
                })
                for name, mib in memory.items():
                    row['variants'][name]['peak_memory_MiB'] = mib
                rows.append(row)
                print(f'  batch {batch}: ' + ', '.join(
                    f'{k} {v["img_s"]:.1f} img/s'
                    for k, v in row['variants'].items()), flush=True)
                if args.sweep and args.device == 'cpu':
                    from clear_mm.deployment.runtime import OnnxGraph
                    default = OnnxGraph(path, batch_size=batch)
                    line = []
                    # each setting against the default, in pairs: one
                    # graph's sessions at a time (the paper preset's
                    # weights are 1 GB a session)
                    for name, make in sweep_settings(
                            path, tmp, preset, batch, args.calibration,
                            size).items():
                        graph = make()
                        fn = io_binding_runner(graph, feed) \
                            if name == 'IO binding' else \
                            (lambda g=graph: g.run(feed))
                        seconds = interleaved_medians(
                            {'default': lambda: default.run(feed),
                             name: fn}, args.warmup, args.sweep_repeats,
                            pause=args.pause)
                        ratio = seconds['default'] / seconds[name]
                        sweep.append(dict(
                            preset=preset, batch=batch, setting=name,
                            img_s=batch / seconds[name],
                            default_img_s=batch / seconds['default'],
                            vs_default=ratio))
                        line.append(f'{name} {ratio:.2f}x')
                        del graph, fn
                    print(f'  sweep, batch {batch}, against the default: ' +
                          ', '.join(line), flush=True)
        del wrapper, model, variants
    names = list(dict.fromkeys(k for r in rows for k in r['variants']))
    print(f'\nImages per second (median of {args.repeats}; {threads} '
          f'threads{"; " + card if card else ""}); ratio to eager')
    print('| preset | batch | ' + ' | '.join(names) + ' |')
    print('|---' * (2 + len(names)) + '|')
    for r in rows:
        eager = r['variants']['eager']['img_s']
        print(f'| {r["preset"]} | {r["batch"]} | ' + ' | '.join(
            f'{r["variants"][n]["img_s"]:.1f} '
            f'({r["variants"][n]["img_s"] / eager:.2f}x)'
            if n in r['variants'] else '-' for n in names) + ' |')
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        mmengine.dump(
            dict(
                provenance(device=args.device),
                device=args.device,
                card=card,
                repeats=args.repeats,
                warmup=args.warmup,
                weights='random',
                calibration=args.calibration,
                ort_session='OnnxGraph, batch fixed',
                presets=presets,
                rows=rows,
                sweep=sweep),
            args.out,
            indent=1)


if __name__ == '__main__':
    main()
