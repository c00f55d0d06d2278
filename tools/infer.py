"""Pedestrian attributes of your own images with a trained model.

Examples:
    # a folder (searched recursively) to a JSON file, with pictures
    python tools/infer.py configs/clear/par_synthetic.py \
        work_dirs/demo/best_par_mA_epoch_18.pth data/my_crops \
        --out work_dirs/attributes.json --show-dir work_dirs/attributes

    # a list of images (one path per line) to a CSV file, per-attribute
    # thresholds from a file
    python tools/infer.py CONFIG CHECKPOINT crops.txt --out scores.csv \
        --thr thresholds.json

    # scores by an exported graph (tools/deployment/export_onnx.py, any
    # precision) in ONNX Runtime; the checkpoint still gives the schema
    python tools/infer.py CONFIG CHECKPOINT data/my_crops --onnx model.onnx
"""
import argparse
import csv
import json
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Attribute scores of images (a folder, an image list, '
        'or image files)')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint',
        help="trained checkpoint ('none' for CLIP zero-shot configs)")
    parser.add_argument(
        'inputs',
        nargs='+',
        help='images, folders (searched recursively) or .txt image lists')
    parser.add_argument(
        '--out', help='write the results to this .json or .csv file')
    parser.add_argument(
        '--show-dir', help='draw each image with its attributes here')
    parser.add_argument(
        '--thr',
        default='0.5',
        help='decision threshold, or a .json/.csv file of per-attribute '
        'thresholds (default 0.5)')
    parser.add_argument(
        '--no-groups',
        action='store_true',
        help='do not resolve exclusive groups (one age bin, one view)')
    parser.add_argument(
        '--onnx',
        help='score with this exported recognition graph in ONNX Runtime '
        '(the checkpoint gives the attribute names, groups and pipeline)')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default='cpu', help="e.g. 'cuda:0'")
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow the checkpoint to unpickle arbitrary objects (only for '
        'files you trust)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config')
    args = parser.parse_args()
    if args.out and not args.out.endswith(('.json', '.csv')):
        parser.error(f'--out {args.out}: expected a .json or .csv file.')
    try:
        args.thr = float(args.thr)
    except ValueError:
        pass  # a file
    return args


def write_csv(path, results, attributes):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['img_path', 'pred_attributes'] + attributes)
        for r in results:
            writer.writerow([r['img_path'], ';'.join(r['pred_attributes'])] +
                            [f'{r["scores"][a]:.4f}' for a in attributes])


def main():
    args = parse_args()
    import clear_mm  # noqa: F401
    from clear_mm.apis import PARInferencer
    from clear_mm.utils import trust_checkpoint
    checkpoint = None if args.checkpoint.lower() == 'none' else \
        args.checkpoint
    if args.trust_checkpoint and checkpoint:
        trust_checkpoint(checkpoint)
    try:
        inferencer = PARInferencer(
            args.config,
            pretrained=checkpoint,
            device=args.device,
            thr=args.thr,
            resolve_groups=not args.no_groups,
            cfg_options=args.cfg_options,
            onnx=args.onnx)
        results = inferencer(
            args.inputs, batch_size=args.batch_size, show_dir=args.show_dir)
    except (FileNotFoundError, ValueError, KeyError) as e:
        # a KeyError's str() is quoted
        raise SystemExit(f'Error: {e.args[0] if e.args else e}') from None

    for r in results:
        print(f'{r["img_path"]}: {", ".join(r["pred_attributes"]) or "-"}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        if args.out.endswith('.csv'):
            write_csv(args.out, results, inferencer.attributes)
        else:
            with open(args.out, 'w', encoding='utf-8') as f:
                json.dump(results, f, indent=1)
        print(f'{len(results)} results written to {args.out}')
    if args.show_dir:
        print(f'Pictures in {args.show_dir}')


if __name__ == '__main__':
    main()
