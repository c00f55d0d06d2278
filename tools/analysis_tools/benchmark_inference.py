"""Images per second of attribute recognition on this machine: PyTorch
eager, ``torch.compile`` (where it works) and ONNX Runtime in fp32, fp16
and int8 (``--precisions``; int8 dynamic, or static with
``--calibration DIR``), side by side in one run, for the tiny and the paper
presets (random weights: speed does not depend on them; the accuracy cost
of each precision needs a trained model).

    python tools/analysis_tools/benchmark_inference.py
    python tools/analysis_tools/benchmark_inference.py --presets tiny \
        --batch-sizes 1 8 --repeats 20

Each number is the median over ``--repeats`` timed runs after
``--warmup`` runs; ONNX Runtime uses as many threads as PyTorch
(``torch.get_num_threads()``). Needs requirements/deploy.txt.
"""
import argparse
import os.path as osp
import tempfile
import time

import torch

from clear_mm.utils.timing import median_seconds

PRESETS = dict(
    tiny='configs/clear/par_synthetic.py',
    paper='configs/clear/par_pa100k.py',
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--presets', nargs='+', default=list(PRESETS),
                        choices=list(PRESETS))
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 8])
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--no-compile', action='store_true',
                        help='skip torch.compile')
    parser.add_argument('--precisions', nargs='+', default=['fp32'],
                        choices=['fp32', 'fp16', 'int8'],
                        help='ONNX Runtime graphs to time (fp32 always)')
    parser.add_argument('--calibration',
                        help='images for a static int8 graph (else dynamic)')
    parser.add_argument('--out', help='write the rows with their provenance '
                        '(commit, machine, date) to this .json file')
    return parser.parse_args()


def build(config: str):
    from mmengine.config import Config
    from mmpretrain.apis import get_model

    from clear_mm.deployment.onnx_export import AttributeScores
    cfg = Config.fromfile(config)
    model = get_model(cfg, pretrained=False)
    size = None
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            w, h = step['scale']
            size = (h, w)
    return AttributeScores(model).eval(), model, size


def main():
    args = parse_args()
    import onnxruntime as ort

    import clear_mm  # noqa: F401
    from clear_mm.deployment import export_onnx, max_difference
    from clear_mm.deployment.precision import convert_precision
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    rows = []
    presets = {}
    for preset in args.presets:
        wrapper, model, size = build(PRESETS[preset])
        params = sum(p.numel() for p in model.parameters()) / 1e6
        presets[preset] = dict(
            config=PRESETS[preset],
            input=list(size),
            params_M=round(params, 2))
        print(f'{preset}: {PRESETS[preset]}, input {size[0]}x{size[1]}, '
              f'{params:.1f} M parameters', flush=True)
        compiled = None
        if not args.no_compile:
            try:
                # static shapes: one graph per batch size, compiled in the
                # warm-up (dynamic shapes compile far slower on a CPU)
                compiled = torch.compile(wrapper, dynamic=False)
                with torch.no_grad():
                    compiled(torch.rand(1, 3, *size) * 255)
            except Exception as e:  # no compiler, unsupported op, ...
                print(f'  torch.compile does not work here: '
                      f'{type(e).__name__}: {str(e).splitlines()[0][:150]}')
                compiled = None
        with tempfile.TemporaryDirectory() as tmp:
            path = osp.join(tmp, f'{preset}.onnx')
            start = time.perf_counter()
            exported = export_onnx(model, 'recognition', path, size)
            seconds = time.perf_counter() - start
            diff = max_difference(exported, path, 'recognition', model, size)
            print(f'  exported in {seconds:.0f} s; max |ONNX Runtime - '
                  f'PyTorch| = {diff:.1e} at batch 1 and 3', flush=True)
            presets[preset]['onnx_max_difference'] = float(diff)
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            sessions = {}
            for precision in ['fp32'] + [p for p in args.precisions
                                         if p != 'fp32']:
                variant = path
                if precision != 'fp32':
                    variant = convert_precision(
                        path, osp.join(tmp, f'{preset}_{precision}.onnx'),
                        precision, args.calibration, size)
                name = 'onnxruntime' + ('' if precision == 'fp32' else
                                        f'_{precision}')
                sessions[name] = ort.InferenceSession(
                    variant, options, providers=['CPUExecutionProvider'])
            for batch in args.batch_sizes:
                x = torch.rand(batch, 3, *size) * 255
                row = dict(preset=preset, batch=batch)
                with torch.no_grad():
                    row['eager'] = batch / median_seconds(
                        lambda: wrapper(x), args.warmup, args.repeats)
                    if compiled is not None:
                        row['compile'] = batch / median_seconds(
                            lambda: compiled(x), args.warmup, args.repeats)
                feed = {'images': x.numpy()}
                for name, session in sessions.items():
                    row[name] = batch / median_seconds(
                        lambda: session.run(None, feed), args.warmup,
                        args.repeats)
                rows.append(row)
                print(f'  batch {batch}: ' + ', '.join(
                    f'{k} {v:.1f} img/s' for k, v in row.items()
                    if isinstance(v, float)), flush=True)
    print(f'\nImages per second (median of {args.repeats}; {threads} '
          'threads)')
    extra = [p for p in ('fp16', 'int8') if p in args.precisions]
    print('| preset | batch | eager | torch.compile | ONNX Runtime | ' +
          ''.join(f'ORT {p} | ' for p in extra) + 'compile / eager | '
          'ORT / eager | ' + ''.join(f'ORT {p} / eager | ' for p in extra))
    print('|---' * (7 + 2 * len(extra)) + '|')
    for r in rows:
        comp = r.get('compile')
        comp_text = '-' if comp is None else f'{comp:.1f}'
        comp_ratio = '-' if comp is None else f'{comp / r["eager"]:.2f}x'
        print(f'| {r["preset"]} | {r["batch"]} | {r["eager"]:.1f} | '
              f'{comp_text} | {r["onnxruntime"]:.1f} | ' +
              ''.join(f'{r[f"onnxruntime_{p}"]:.1f} | ' for p in extra) +
              f'{comp_ratio} | {r["onnxruntime"] / r["eager"]:.2f}x | ' +
              ''.join(f'{r[f"onnxruntime_{p}"] / r["eager"]:.2f}x | '
                      for p in extra))
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        mmengine.dump(
            dict(
                provenance(),
                repeats=args.repeats,
                warmup=args.warmup,
                weights='random',
                calibration=args.calibration,
                presets=presets,
                rows=rows),
            args.out,
            indent=1)


if __name__ == '__main__':
    main()
