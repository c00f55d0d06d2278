"""What each ONNX precision costs a recognition model, in one run: mA on
the config's test split and images per second at batch 1 and 8, for
PyTorch eager and the exported fp32, fp16 and int8 graphs.

    python tools/analysis_tools/onnx_accuracy.py \
        configs/clear/par_synthetic.py work_dirs/demo/best_par_mA_epoch_18.pth \
        --calibration data/synthetic/images --out results/onnx_accuracy.json

Eager runs the model as ``tools/test.py`` does (its data preprocessor,
``predict``); the graphs take the same test-pipeline images (RGB, 0-255).
mA is at threshold 0.5 (PARMetric). int8 is static when ``--calibration``
names a folder of images (use training images, not the test split), else
dynamic. Speeds are medians of ``--repeats`` runs after ``--warmup``, ONNX
Runtime with as many threads as PyTorch. Needs requirements/deploy.txt.
"""
import argparse
import os.path as osp
import tempfile

import numpy as np
import torch
from mmengine.config import DictAction

from clear_mm.utils.timing import median_seconds


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--precisions', nargs='+', default=['fp32', 'fp16',
                                                            'int8'],
                        choices=['fp32', 'fp16', 'int8'])
    parser.add_argument('--calibration', help='images for static int8')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='batch of the accuracy pass')
    parser.add_argument('--limit', type=int,
                        help='only the first N test images')
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--out', help='write the rows with their provenance '
                        'to this .json file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config')
    return parser.parse_args()


def median_rate(fn, batch: int, warmup: int, repeats: int) -> float:
    """Images per second of ``fn`` on a batch of ``batch``."""
    return batch / median_seconds(fn, warmup, repeats)


def test_images(model, limit=None):
    """The test split through the config's test pipeline: BGR uint8
    ``(N, 3, H, W)`` images and their 0/1 labels."""
    from clear_mm.apis.base import build_test_dataset
    dataset = build_test_dataset(model._config)
    n = len(dataset) if limit is None else min(limit, len(dataset))
    images, labels = [], []
    for i in range(n):
        item = dataset[i]
        images.append(item['inputs'])
        labels.append(item['data_samples'].gt_score.numpy())
    return torch.stack(images), np.stack(labels).astype(np.int64)


def main():
    args = parse_args()
    import onnxruntime as ort

    from clear_mm.apis import init_model, predicts_attributes
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.onnx_export import graph_input_size
    from clear_mm.deployment.precision import convert_precision
    from clear_mm.evaluation import PARMetric
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options)
    if not predicts_attributes(model):
        raise SystemExit(f'{args.config}: not a recognition model (this '
                         'tool measures mA).')
    size = graph_input_size(model._config)
    bgr, labels = test_images(model, args.limit)
    rgb = bgr.flip(1).float().numpy()
    print(f'{len(labels)} test images, input {size[0]}x{size[1]}',
          flush=True)

    def eager(batch):
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=batch), False)
            return torch.stack([
                s.pred_score for s in model(**data, mode='predict')
            ]).numpy()

    def in_batches(fn, images):
        return np.concatenate([
            fn(images[i:i + args.batch_size])
            for i in range(0, len(images), args.batch_size)
        ])

    threads = torch.get_num_threads()
    rows = []
    scores = in_batches(eager, bgr)
    row = dict(variant='eager',
               mA=100 * PARMetric.calculate(scores, labels)['mA'])
    for batch in (1, 8):
        row[f'img_s_b{batch}'] = median_rate(
            lambda: eager(bgr[:batch]), batch, args.warmup, args.repeats)
    rows.append(row)
    eager_scores = scores
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = osp.join(tmp, 'fp32.onnx')
        export_onnx(model, 'recognition', fp32, size)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        for precision in args.precisions:
            path = convert_precision(
                fp32, osp.join(tmp, f'{precision}.onnx'), precision,
                args.calibration if precision == 'int8' else None, size)
            session = ort.InferenceSession(
                path, options, providers=['CPUExecutionProvider'])

            def graph(images, session=session):
                return session.run(None, {'images': images})[0]

            scores = in_batches(graph, rgb)
            name = f'ONNX Runtime {precision}' + (
                ' static' if precision == 'int8' and args.calibration
                else ' dynamic' if precision == 'int8' else '')
            row = dict(variant=name,
                       mA=100 * PARMetric.calculate(scores, labels)['mA'],
                       max_score_difference=float(
                           np.abs(scores - eager_scores).max()))
            for batch in (1, 8):
                row[f'img_s_b{batch}'] = median_rate(
                    lambda: graph(rgb[:batch]), batch, args.warmup,
                    args.repeats)
            rows.append(row)
            print(f'  {name}: mA {row["mA"]:.2f}', flush=True)
    base = rows[0]
    print(f'\nmA on {len(labels)} test images; images per second (median '
          f'of {args.repeats}; {threads} threads)')
    print('| variant | mA | mA cost | img/s b1 | img/s b8 | b1 / eager | '
          'b8 / eager |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f'| {r["variant"]} | {r["mA"]:.2f} | '
              f'{base["mA"] - r["mA"]:+.2f} | {r["img_s_b1"]:.1f} | '
              f'{r["img_s_b8"]:.1f} | {r["img_s_b1"] / base["img_s_b1"]:.2f}x'
              f' | {r["img_s_b8"] / base["img_s_b8"]:.2f}x |')
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        mmengine.dump(
            dict(provenance(args.config, model._config.model,
                            args.checkpoint),
                 test_images=len(labels),
                 calibration=args.calibration, repeats=args.repeats,
                 rows=rows),
            args.out, indent=1)


if __name__ == '__main__':
    main()
