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
    # int8 (ONNX Runtime quantization; static with calibration images)
    python tools/deployment/export_onnx.py configs/clear/par_synthetic.py \
        work_dirs/demo/best_par_mA_epoch_18.pth --out clear_tiny_int8.onnx \
        --precision int8 --calibration data/synthetic/images

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
        'encoders (<out>_image.onnx, <out>_query.onnx; Cerberus and CLIP '
        'encode queries outside a network: their image encoder, to OUT), '
        'else the recognition model')
    parser.add_argument(
        '--precision',
        choices=['fp32', 'fp16', 'int8'],
        default='fp32',
        help='fp16: float16 weights and activations (float32 inputs and '
        'outputs); int8: ONNX Runtime quantization, dynamic, or static with '
        '--calibration (clear_mm/deployment/precision.py)')
    parser.add_argument(
        '--calibration',
        help='a folder of images whose activation ranges calibrate a static '
        'int8 image graph (a query graph is quantized dynamically)')
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-4,
        help='largest allowed |ONNX Runtime - PyTorch| on random inputs '
        '(fp32; fp16 and int8 report theirs)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config')
    return parser.parse_args()


def main():
    args = parse_args()
    if not args.out.endswith('.onnx'):
        raise SystemExit(f'--out {args.out}: expected a .onnx file.')
    if args.calibration and args.precision != 'int8':
        raise SystemExit('--calibration is for --precision int8.')
    if args.calibration and not osp.isdir(args.calibration):
        raise SystemExit(f'--calibration {args.calibration}: no such folder.')
    from clear_mm.apis import init_model
    from clear_mm.deployment import export_onnx, max_difference
    from clear_mm.deployment.onnx_export import graph_input_size
    from clear_mm.deployment.precision import convert_precision
    from clear_mm.models import AttributeModel
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options)
    try:
        size = graph_input_size(model._config)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    kinds = [args.kind]
    if args.kind == 'auto' and isinstance(model, AttributeModel):
        kinds = ['image'] + (['query']
                             if model.query_graph_exportable else [])
    elif args.kind == 'auto':
        kinds = ['recognition']
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    for kind in kinds:
        path = args.out if len(kinds) == 1 else \
            f'{args.out[:-5]}_{kind}.onnx'
        fp32 = path if args.precision == 'fp32' else \
            f'{path[:-5]}.fp32-tmp.onnx'
        try:
            wrapper = export_onnx(model, kind, fp32, size,
                                  model.dataset_meta['attributes'],
                                  args.opset)
            if args.precision != 'fp32':
                convert_precision(
                    fp32, path, args.precision,
                    args.calibration if kind != 'query' else None, size)
        except ValueError as e:
            raise SystemExit(f'Error: {e}') from None
        finally:
            if fp32 != path and osp.exists(fp32):
                os.remove(fp32)
        diff = max_difference(wrapper, path, kind, model, size)
        how = args.precision + (' static' if args.calibration and
                                kind != 'query' else '')
        print(f'{kind}: {path} ({how}, {osp.getsize(path) / 2**20:.1f} '
              f'MiB), input {size[0]}x{size[1]}, max |ONNX Runtime - '
              f'PyTorch| = {diff:.2e} at batch 1 and 3')
        if args.precision == 'fp32' and diff > args.tolerance:
            raise SystemExit(f'{path}: the exported graph differs from '
                             f'PyTorch by {diff:.2e} > {args.tolerance}.')


if __name__ == '__main__':
    main()
