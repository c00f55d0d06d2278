"""Search the gallery of a trained AttributeRetriever with attribute queries.

Examples:
    # a query given by attribute names (the others are absent)
    python tools/analysis_tools/attribute_search.py \
        configs/clear/ret_synthetic.py work_dirs/demo_ret/best.pth \
        --query "Female, Age18-60, Front, Backpack, LongSleeve, Trousers"

    # random queries of the test split, drawn like the paper's Fig. 5
    python tools/analysis_tools/attribute_search.py CONFIG CKPT \
        --num-random 4 --out work_dirs/demo_ret/retrieval_examples.png
"""
import argparse
import os
import os.path as osp
import textwrap

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader


def parse_args():
    parser = argparse.ArgumentParser(
        description='Top-k gallery images for attribute queries')
    parser.add_argument('config', help='retrieval config file')
    parser.add_argument('checkpoint', help='retrieval checkpoint')
    parser.add_argument(
        '--query',
        action='append',
        default=[],
        help='comma-separated attribute names that are present (all others '
        'are absent); repeat for several queries')
    parser.add_argument(
        '--num-random',
        type=int,
        default=0,
        help='also search this many random queries of the split')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument(
        '--split', default=None, help='gallery split (default: the test '
        "dataloader's)")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write a picture of the results here')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load the checkpoint with weights_only=False (only for files '
        'you trust)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config')
    return parser.parse_args()


@torch.no_grad()
def gallery_embeddings(model, dataset, batch_size):
    loader = DataLoader(
        dataset, batch_size=batch_size, collate_fn=pseudo_collate)
    embeddings, attrs, paths = [], [], []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        embeddings.append(model.embed_images(data['inputs']).cpu())
        for sample in data['data_samples']:
            attrs.append(sample.gt_score.cpu().numpy())
            paths.append(sample.img_path)
    return torch.cat(embeddings), np.stack(attrs).astype(np.int64), paths


def search(model, queries, gallery_emb, topk):
    """(scores, indices) of the top-k gallery images of each query."""
    with torch.no_grad():
        q = torch.nn.functional.normalize(model.encode_queries(queries), dim=1)
    g = torch.nn.functional.normalize(gallery_emb, dim=1)
    scores = q.cpu() @ g.t()
    return scores.topk(min(topk, len(g)), dim=1)


def draw(path, descriptions, paths, top, matches, topk):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from PIL import Image
    rows = len(descriptions)
    fig, axes = plt.subplots(
        rows, topk + 1, figsize=(2.0 * (topk + 1) + 2, 3.2 * rows),
        gridspec_kw=dict(width_ratios=[3] + [1] * topk), squeeze=False)
    for r in range(rows):
        ax = axes[r, 0]
        ax.axis('off')
        ax.text(0, 0.5, textwrap.fill(descriptions[r], 40), fontsize=8,
                va='center', ha='left', wrap=True)
        for c in range(topk):
            ax = axes[r, c + 1]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(top[1][r]):
                ax.axis('off')
                continue
            i = int(top[1][r][c])
            ax.imshow(Image.open(paths[i]).convert('RGB'))
            ok = matches[r][c]
            for side in ax.spines.values():
                side.set_color('green' if ok else 'red')
                side.set_linewidth(4)
            ax.set_title(f'{c + 1}: {float(top[0][r][c]):.2f}' +
                         (' \u2713' if ok else ''), fontsize=8,
                         color='green' if ok else 'black')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    for module in cfg.get('custom_imports', {}).get('imports', []):
        __import__(module)
    from mmpretrain.registry import DATASETS, MODELS

    from clear_mm.datasets.schema import exclusive_conflicts
    from clear_mm.utils.checkpoint import (load_model_weights,
                                           trust_checkpoint)
    if args.trust_checkpoint:
        trust_checkpoint(args.checkpoint)

    model_cfg = cfg.model
    if 'data_preprocessor' not in model_cfg and 'data_preprocessor' in cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    model_cfg['par_checkpoint'] = None  # the retrieval checkpoint holds f_par
    model = MODELS.build(model_cfg)
    load_model_weights(model, args.checkpoint, f'the model of {args.config}')
    model.eval()

    dataset_cfg = cfg.test_dataloader.dataset
    if args.split:
        dataset_cfg['split'] = args.split
    dataset = DATASETS.build(dataset_cfg)
    # the checkpoint carries the schema; the split must have its attributes
    model.set_dataset_meta(dataset.metainfo)
    builder = model.builder

    queries = [builder.vector_from_names(q) for q in args.query]
    for text, vector in zip(args.query, queries):
        conflicts = exclusive_conflicts(vector, model.schema)
        if conflicts:
            raise SystemExit(f'Query {text!r} contradicts itself: '
                             f'{"; ".join(conflicts)}.')
    if args.num_random:
        pool = dataset.get_query_attributes()
        rng = np.random.default_rng(args.seed)
        pick = rng.choice(len(pool), min(args.num_random, len(pool)),
                          replace=False)
        queries += list(pool[np.sort(pick)])
    if not queries:
        raise SystemExit('Give --query and/or --num-random.')
    queries = np.stack(queries)

    gallery_emb, gallery_attrs, paths = gallery_embeddings(
        model, dataset, args.batch_size)
    top = search(model, queries, gallery_emb, args.topk)
    descriptions, matches = [], []
    for r, query in enumerate(queries):
        names = [a for a, v in zip(builder.attributes, query) if v]
        description = builder(query)
        descriptions.append(description)
        relevant = (gallery_attrs == query).all(axis=1)
        print(f'\nQuery {r + 1}: {", ".join(names) or "(no attribute)"}')
        print(f'  pseudo-description: {description}')
        print(f'  {int(relevant.sum())} relevant gallery images')
        row = []
        for rank, (score, i) in enumerate(zip(top[0][r], top[1][r]), 1):
            ok = bool(relevant[int(i)])
            row.append(ok)
            print(f'  {rank:2d}. {float(score):.4f} {"*" if ok else " "} '
                  f'{paths[int(i)]}')
        matches.append(row)
    print('\n(* = exact attribute match)')
    if args.out:
        draw(args.out, descriptions, paths, top, matches, args.topk)
        print(f'Picture written to {args.out}')


if __name__ == '__main__':
    main()
