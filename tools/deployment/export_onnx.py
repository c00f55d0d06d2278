"""Export a trained model to ONNX (dynamic batch) and check it against
PyTorch.

    # a recognition model: images -> attribute scores
    python tools/deployment/export_onnx.py configs/clear/par_synthetic.py \
        work_dirs/demo/best_par_mA_epoch_18.pth --out clear_tiny.onnx
    # a retrieval model: its image encoder and its query encoder
    # (clear_tiny_ret_image.onnx, clear_tiny_ret_query.onnx)
    python tools/deployment/export_onnx.py configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        --out clear_tiny_ret.onnx

Inputs and outputs: see clear_mm/deployment/onnx_export.py. Needs the
deployment extra: pip install -r requirements/deploy.txt
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Export to ONNX')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument(
        '--kind',
        choices=['auto', 'recognition', 'image', 'query'],
        default='auto',
        help='what to export; auto: a retrieval model\'s image and query '
        'encoders (<out>_image.onnx, <out>_query.onnx), else the '
        'recognition model')
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-4,
        help='largest allowed |ONNX Runtime - PyTorch| on random inputs')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config')
    return parser.parse_args()


def test_size(cfg):
    """(H, W) of the config's test pipeline (its last Resize)."""
    size = None
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize' and 'scale' in step:
            w, h = step['scale']
            size = (h, w)
    if size is None:
        raise SystemExit('The test pipeline has no Resize with a scale: '
                         'the exported input size is unknown.')
    return size


def main():
    args = parse_args()
    if not args.out.endswith('.onnx'):
        raise SystemExit(f'--out {args.out}: expected a .onnx file.')
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx, max_difference
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options)
    size = test_size(model._config)
    kinds = [args.kind]
    if args.kind == 'auto':
        kinds = ['image', 'query'] if hasattr(model, 'encode_queries') \
            else ['recognition']
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    for kind in kinds:
        path = args.out if len(kinds) == 1 else \
            f'{args.out[:-5]}_{kind}.onnx'
        try:
            wrapper = export_onnx(model, kind, path, size,
                                  model.dataset_meta['attributes'],
                                  args.opset)
        except ValueError as e:
            raise SystemExit(f'Error: {e}') from None
        diff = max_difference(wrapper, path, kind, model, size)
        print(f'{kind}: {path} ({osp.getsize(path) / 2**20:.1f} MiB), '
              f'input {size[0]}x{size[1]}, max |ONNX Runtime - PyTorch| = '
              f'{diff:.2e} at batch 1 and 3')
        if diff > args.tolerance:
            raise SystemExit(f'{path}: the exported graph differs from '
                             f'PyTorch by {diff:.2e} > {args.tolerance}.')


if __name__ == '__main__':
    main()
