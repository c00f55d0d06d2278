"""CLEAR's Fig. 4 for any retrieval checkpoint: a t-SNE of query and image
embeddings. Ten random attribute combinations of the test split are the
queries (stars); their relevant images (same attribute vector) are
circles of the query's colour. A model whose embedding space works puts
each star among its circles.

    python tools/visualization/vis_tsne.py configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        --out work_dirs/demo_ret/tsne.png

Needs scikit-learn (pip install -r requirements/vis.txt).
"""
import argparse
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='t-SNE of query and image embeddings (Fig. 4)')
    parser.add_argument('config', help='retrieval config')
    parser.add_argument('checkpoint', help='retrieval checkpoint')
    parser.add_argument('--out', required=True, help='output picture')
    parser.add_argument('--num-queries', type=int, default=10)
    parser.add_argument(
        '--max-images',
        type=int,
        default=20,
        help='relevant images drawn per query (at most)')
    parser.add_argument(
        '--min-images',
        type=int,
        default=3,
        help='draw only combinations with this many test images')
    parser.add_argument('--split', help='split (default: the test split)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config')
    return parser.parse_args()


def choose(labels: np.ndarray, num: int, min_images: int, max_images: int,
           rng) -> tuple:
    """``num`` random combinations with at least ``min_images`` images, and
    up to ``max_images`` of each one's images (indices)."""
    combos, inverse, counts = np.unique(
        labels, axis=0, return_inverse=True, return_counts=True)
    eligible = np.flatnonzero(counts >= min_images)
    if len(eligible) == 0:
        raise SystemExit(f'No attribute combination has {min_images} or '
                         'more images in this split; lower --min-images.')
    picked = rng.choice(eligible, min(num, len(eligible)), replace=False)
    images = []
    for c in picked:
        members = np.flatnonzero(inverse.reshape(-1) == c)
        images.append(
            rng.choice(members, min(max_images, len(members)),
                       replace=False))
    return combos[picked], images


def main():
    args = parse_args()
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmengine.config import Config
    from sklearn.manifold import TSNE

    from clear_mm.apis import AttributeRetrievalInferencer
    from clear_mm.apis.base import build_test_dataset
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset = build_test_dataset(cfg, args.split)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    labels = np.stack([np.asarray(d['gt_score']) for d in infos])
    rng = np.random.default_rng(args.seed)
    combos, members = choose(labels, args.num_queries, args.min_images,
                             args.max_images, rng)

    inferencer = AttributeRetrievalInferencer(cfg, pretrained=args.checkpoint)
    paths = [infos[i]['img_path'] for m in members for i in m]
    images = inferencer.embed_images(paths, args.batch_size)['embeddings']
    queries = inferencer.encode_queries(combos)
    points = np.concatenate([queries.numpy(), images.numpy()])
    perplexity = min(30.0, (len(points) - 1) / 3)
    xy = TSNE(n_components=2, perplexity=perplexity, init='pca',
              random_state=args.seed).fit_transform(points)

    fig, ax = plt.subplots(figsize=(7, 6))
    colours = plt.get_cmap('tab10' if len(combos) <= 10 else 'tab20')
    start = len(combos)
    for q, m in enumerate(members):
        colour = colours(q % colours.N)
        ax.scatter(*xy[start:start + len(m)].T, s=18, color=colour,
                   alpha=0.7)
        ax.scatter(*xy[q], s=260, marker='*', color=colour,
                   edgecolors='black', linewidths=0.8,
                   label=f'query {q + 1} ({len(m)} images)')
        start += len(m)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f'{osp.basename(args.config)}: queries (stars) and their '
                 'relevant images', fontsize=9)
    ax.legend(fontsize=7, loc='best')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f'{len(combos)} queries, {len(paths)} images: {args.out}')
    for q, combo in enumerate(combos):
        names = [a for a, v in zip(inferencer.attributes, combo) if v]
        print(f'  query {q + 1}: {", ".join(names) or "(no attribute)"}')


if __name__ == '__main__':
    main()
