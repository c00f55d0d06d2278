"""What each ONNX precision costs a model, in one run: accuracy on the
config's test split and images per second at batch 1 and 8, for PyTorch
eager and the exported fp32, fp16 and int8 graphs.

    # a recognition model: mA
    python tools/analysis_tools/onnx_accuracy.py \
        configs/clear/par_synthetic.py work_dirs/demo/best_par_mA_epoch_18.pth \
        --calibration data/synthetic/images --out results/onnx_accuracy.json
    # a retrieval model: mAP of its image graph (and the mA of the
    # attribute scores the graph also gives, when the model predicts them)
    python tools/analysis_tools/onnx_accuracy.py \
        configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        --calibration data/synthetic/images \
        --out results/onnx_accuracy_retrieval.json

Eager runs the model as ``tools/test.py`` does (its data preprocessor,
``predict``); the graphs take the same test-pipeline images (RGB, 0-255)
in ONNX Runtime sessions of :class:`clear_mm.deployment.runtime.OnnxGraph`
(the batch fixed to the timed one, as the search indexer runs them). mA is
at threshold 0.5 (PARMetric); mAP is AttrRetrievalMetric's, the queries
encoded by the model in PyTorch for every variant (only the image side is
exported). int8 is static when ``--calibration`` names a folder of images
(use training images, not the test split), else dynamic. Speeds are
medians of ``--repeats`` runs after ``--warmup``, ONNX Runtime with as many
threads as PyTorch. Needs requirements/deploy.txt.
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
    ``(N, 3, H, W)`` images, their 0/1 labels and the dataset."""
    from clear_mm.apis.base import build_test_dataset
    dataset = build_test_dataset(model._config)
    n = len(dataset) if limit is None else min(limit, len(dataset))
    images, labels = [], []
    for i in range(n):
        item = dataset[i]
        images.append(item['inputs'])
        labels.append(item['data_samples'].gt_score.numpy())
    return torch.stack(images), np.stack(labels).astype(np.int64), dataset


def retrieval_map(model, dataset, embeddings: np.ndarray,
                  labels: np.ndarray) -> float:
    """AttrRetrievalMetric's mAP (percent) of the gallery ``embeddings``
    with the test split's queries, encoded by the model."""
    from clear_mm.engine.hooks.prepare_queries_hook import \
        PrepareQueriesHook
    from clear_mm.evaluation import AttrRetrievalMetric
    metric = AttrRetrievalMetric()
    PrepareQueriesHook.prepare_retrieval(model, dataset, [metric], None)
    metric.process(None, [
        dict(gt_score=torch.from_numpy(y), pred_embedding=torch.from_numpy(e))
        for y, e in zip(labels, embeddings)
    ])
    return float(metric.compute_metrics(metric.results)['mAP'])


def main():
    args = parse_args()
    from clear_mm.apis import init_model, predicts_attributes
    from clear_mm.deployment import export_onnx
    from clear_mm.deployment.onnx_export import graph_input_size
    from clear_mm.deployment.precision import convert_precision
    from clear_mm.deployment.runtime import OnnxGraph
    from clear_mm.evaluation import PARMetric
    from clear_mm.models import AttributeModel
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options)
    retrieval = isinstance(model, AttributeModel)
    with_scores = predicts_attributes(model) and (
        not retrieval or model.recognition_graph_exportable)
    if not (retrieval or with_scores):
        raise SystemExit(f'{args.config}: neither a recognition nor a '
                         'retrieval model.')
    kind = 'image' if retrieval else 'recognition'
    size = graph_input_size(model._config)
    bgr, labels, dataset = test_images(model, args.limit)
    rgb = bgr.flip(1).float().numpy()
    print(f'{len(labels)} test images, input {size[0]}x{size[1]}, '
          f'{kind} graph', flush=True)

    def eager(batch):
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=batch), False)
            samples = model(**data, mode='predict')
        out = {}
        if retrieval:
            out['embeddings'] = torch.nn.functional.normalize(
                torch.stack([s.pred_embedding for s in samples]),
                dim=1).numpy()
        if with_scores:
            out['scores'] = torch.stack([s.pred_score
                                         for s in samples]).numpy()
        return out

    def in_batches(fn, images):
        parts = [
            fn(images[i:i + args.batch_size])
            for i in range(0, len(images), args.batch_size)
        ]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def accuracy(out, row):
        if retrieval:
            row['mAP'] = retrieval_map(model, dataset, out['embeddings'],
                                       labels)
        if with_scores:
            row['mA'] = 100 * PARMetric.calculate(out['scores'],
                                                  labels)['mA']

    threads = torch.get_num_threads()
    rows = []
    reference = in_batches(eager, bgr)
    row = dict(variant='eager')
    accuracy(reference, row)
    for batch in (1, 8):
        row[f'img_s_b{batch}'] = median_rate(
            lambda: eager(bgr[:batch]), batch, args.warmup, args.repeats)
    rows.append(row)
    print('  eager: ' + ', '.join(f'{k} {row[k]:.2f}' for k in ('mAP', 'mA')
                                   if k in row), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = osp.join(tmp, 'fp32.onnx')
        export_onnx(model, kind, fp32, size,
                    model.dataset_meta.get('attributes'))
        for precision in args.precisions:
            path = convert_precision(
                fp32, osp.join(tmp, f'{precision}.onnx'), precision,
                args.calibration if precision == 'int8' else None, size)
            graph = OnnxGraph(path, batch_size=args.batch_size,
                              threads=threads)
            out = graph.run(rgb)
            name = f'ONNX Runtime {graph.precision}'
            row = dict(variant=name)
            accuracy(out, row)
            row['max_difference'] = max(
                float(np.abs(out[k] - reference[k]).max()) for k in reference)
            for batch in (1, 8):
                timed = OnnxGraph(path, batch_size=batch, threads=threads)
                row[f'img_s_b{batch}'] = median_rate(
                    lambda: timed.run(rgb[:batch]), batch, args.warmup,
                    args.repeats)
            rows.append(row)
            print(f'  {name}: ' + ', '.join(
                f'{k} {row[k]:.2f}' for k in ('mAP', 'mA') if k in row),
                flush=True)
    base = rows[0]
    metrics = [k for k in ('mAP', 'mA') if k in base]
    print(f'\n{" and ".join(metrics)} on {len(labels)} test images; images '
          f'per second (median of {args.repeats}; {threads} threads)')
    print('| variant | ' + ''.join(f'{m} | {m} cost | ' for m in metrics) +
          'img/s b1 | img/s b8 | b1 / eager | b8 / eager |')
    print('|---' * (5 + 2 * len(metrics)) + '|')
    for r in rows:
        print(f'| {r["variant"]} | ' + ''.join(
            f'{r[m]:.2f} | {base[m] - r[m]:+.2f} | ' for m in metrics) +
              f'{r["img_s_b1"]:.1f} | {r["img_s_b8"]:.1f} | '
              f'{r["img_s_b1"] / base["img_s_b1"]:.2f}x | '
              f'{r["img_s_b8"] / base["img_s_b8"]:.2f}x |')
    if args.out:
        import mmengine

        from clear_mm.utils.provenance import provenance
        mmengine.dump(
            dict(provenance(args.config, model._config.model,
                            args.checkpoint),
                 graph=kind,
                 test_images=len(labels),
                 calibration=args.calibration, repeats=args.repeats,
                 rows=rows),
            args.out, indent=1)


if __name__ == '__main__':
    main()
