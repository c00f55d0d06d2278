"""Search a test split with attribute queries and draw the top-k images,
like CLEAR's Fig. 5, on :class:`clear_mm.apis.AttributeRetrievalInferencer`
(whose matches are marked against the split's labels). For a folder of
your own crops, use ``tools/search.py``.

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
from mmengine.config import DictAction


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


def draw(path, descriptions, answers, matches, topk):
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
            hits = answers[r]['results']
            if c >= len(hits):
                ax.axis('off')
                continue
            ax.imshow(Image.open(hits[c]['img_path']).convert('RGB'))
            ok = matches[r][c]
            for side in ax.spines.values():
                side.set_color('green' if ok else 'red')
                side.set_linewidth(4)
            ax.set_title(f'{c + 1}: {hits[c]["score"]:.2f}' +
                         (' \u2713' if ok else ''), fontsize=8,
                         color='green' if ok else 'black')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    args = parse_args()
    from clear_mm.apis import AttributeRetrievalInferencer
    from clear_mm.apis.base import build_test_dataset
    from clear_mm.apis.model_index import config_of
    from clear_mm.utils.checkpoint import trust_checkpoint
    if args.trust_checkpoint:
        trust_checkpoint(args.checkpoint)
    cfg = config_of(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = AttributeRetrievalInferencer(cfg, pretrained=args.checkpoint)
    dataset = build_test_dataset(cfg, args.split)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    gallery_attrs = dataset.get_attribute_matrix().astype(np.int64)
    inferencer.set_gallery(paths, args.batch_size)

    queries = list(inferencer.query_vectors(args.query)) if args.query else []
    if args.num_random:
        pool = dataset.get_query_attributes()
        rng = np.random.default_rng(args.seed)
        pick = rng.choice(len(pool), min(args.num_random, len(pool)),
                          replace=False)
        queries += list(pool[np.sort(pick)])
    if not queries:
        raise SystemExit('Give --query and/or --num-random.')
    queries = np.stack(queries)
    builder = getattr(inferencer.model, 'builder', None)
    answers = inferencer(queries, args.topk)
    descriptions, matches = [], []
    for r, (query, answer) in enumerate(zip(queries, answers)):
        description = builder(query) if builder is not None else \
            ', '.join(answer['query'])
        descriptions.append(description)
        relevant = (gallery_attrs == query).all(axis=1)
        print(f'\nQuery {r + 1}: '
              f'{", ".join(answer["query"]) or "(no attribute)"}')
        print(f'  pseudo-description: {description}')
        print(f'  {int(relevant.sum())} relevant gallery images')
        row = []
        for rank, hit in enumerate(answer['results'], 1):
            ok = bool(relevant[hit['index']])
            row.append(ok)
            print(f'  {rank:2d}. {hit["score"]:.4f} {"*" if ok else " "} '
                  f'{hit["img_path"]}')
        matches.append(row)
    print('\n(* = exact attribute match)')
    if args.out:
        draw(args.out, descriptions, answers, matches, args.topk)
        print(f'Picture written to {args.out}')


if __name__ == '__main__':
    main()
