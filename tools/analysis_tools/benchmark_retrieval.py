"""Speed of the retrieval stage: the feature cache and the metric.

1. Training iterations of an AttributeRetriever on images (frozen f_par
   forward + adapters) vs. on cached f_par features (adapters only), and the
   one-off cost of filling the cache, with the epoch times they imply.
2. AttrRetrievalMetric.calculate at UPAR 2024 scale (30k gallery images,
   5k queries, 40 attributes) on random embeddings.

    python tools/analysis_tools/benchmark_retrieval.py \
        configs/clear/ret_synthetic.py --iters 10
    # f_par = the paper's cross-transformers (256x128), smaller batches
    python tools/analysis_tools/benchmark_retrieval.py \
        configs/clear/ret_synthetic.py --par-config configs/clear/par_pa100k.py \
        --iters 2 --skip-metric --cfg-options train_dataloader.batch_size=32
"""
import argparse
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?',
                        default='configs/clear/ret_synthetic.py')
    parser.add_argument('--iters', type=int, default=10,
                        help='timed training iterations of each kind')
    parser.add_argument('--gallery', type=int, default=30000)
    parser.add_argument('--queries', type=int, default=5000)
    parser.add_argument('--num-attributes', type=int, default=40)
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--skip-training', action='store_true')
    parser.add_argument('--skip-metric', action='store_true')
    parser.add_argument(
        '--par-config',
        help='use the recognition model of this config as f_par (e.g. '
        'configs/clear/par_pa100k.py for the paper preset; the images are '
        'then resized to 256x128)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config')
    return parser.parse_args()


def bench_training(cfg, iters):
    import clear_mm  # noqa: F401  (registers the modules)
    from clear_mm.engine import training_meta
    from clear_mm.registry import DATASETS, MODELS
    model_cfg = cfg.model
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model_cfg['par_checkpoint'] = None  # weights do not change the speed
    model = MODELS.build(model_cfg)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model.set_dataset_meta(training_meta(dataset))
    batch_size = cfg.train_dataloader.batch_size
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=True,
        num_workers=cfg.train_dataloader.get('num_workers', 0),
        collate_fn=pseudo_collate,
        generator=torch.Generator().manual_seed(0))
    optim = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step(data, is_feature=False):
        losses = model.loss(data['inputs'], data['data_samples'], is_feature)
        optim.zero_grad()
        sum(losses.values()).backward()
        optim.step()

    model.train()
    batches = []
    for batch in loader:
        batches.append(model.data_preprocessor(batch, True))
        if len(batches) == iters + 1:
            break
    step(batches[0])  # warm-up: encodes the training queries once
    t_img = []
    for data in batches[1:]:
        start = time.perf_counter()
        step(data)
        t_img.append(time.perf_counter() - start)
    t_extract, feats = [], []
    with torch.no_grad():
        for data in batches[1:]:
            start = time.perf_counter()
            feats.append(model.extract_vis(data['inputs']))
            t_extract.append(time.perf_counter() - start)
    t_feat = []
    for f, data in zip(feats, batches[1:]):
        start = time.perf_counter()
        step(dict(inputs=f, data_samples=data['data_samples']), True)
        t_feat.append(time.perf_counter() - start)
    n_iter = len(loader)
    img, feat, ext = (float(np.median(t)) for t in (t_img, t_feat,
                                                     t_extract))
    print(f'Training ({cfg.filename}): batch {batch_size}, {n_iter} '
          f'iterations per epoch, {len(model.train_attrs)} proxies, median '
          f'of {iters} iterations')
    print(f'  on images   : {img:.3f} s/iter -> {img * n_iter:.1f} s/epoch')
    print(f'  on features : {feat:.3f} s/iter -> {feat * n_iter:.1f} '
          's/epoch')
    print(f'  filling the cache (f_par forward, no grad, excluding image '
          f'loading): {ext:.3f} s/batch -> {ext * n_iter:.1f} s once')
    print(f'  speed-up per epoch: {img / feat:.2f}x; f_par share of an '
          f'image iteration: {100 * (img - feat) / img:.0f}%')


def bench_metric(args):
    """The ranking core at UPAR 2024 scale: ``--queries`` distinct query
    vectors, ``--gallery`` images whose vectors are drawn from the queries
    (about gallery / queries relevant images each), random embeddings.
    (Its numbers are checked against a per-query loop in the tests.)"""
    from clear_mm.evaluation.metrics import AttrRetrievalMetric
    rng = np.random.default_rng(0)
    pool = np.unique((rng.random((args.queries * 2, args.num_attributes)) <
                      0.15).astype(np.int64), axis=0)
    query_attrs = pool[rng.choice(len(pool), args.queries, replace=False)]
    gallery_attrs = query_attrs[rng.integers(0, len(query_attrs),
                                             args.gallery)]
    gallery_emb = torch.randn(args.gallery, args.dim)
    query_emb = torch.randn(len(query_attrs), args.dim)
    times, result = [], None
    for _ in range(3):
        start = time.perf_counter()
        result = AttrRetrievalMetric.calculate(query_emb, gallery_emb,
                                               query_attrs, gallery_attrs)
        times.append(time.perf_counter() - start)
    relevant = len(gallery_attrs) / len(query_attrs)
    print(f'Ranking core (AttrRetrievalMetric.calculate): '
          f'{len(query_attrs)} queries x {args.gallery} gallery images, '
          f'dim {args.dim}, {args.num_attributes} attributes, '
          f'{relevant:.1f} relevant images per query, '
          f'{torch.get_num_threads()} threads')
    print(f'  {float(np.median(times)):.2f} s (median of 3)  R1 '
          f'{result["R1"]:.2f}  mAP {result["mAP"]:.2f}')


def main():
    args = parse_args()
    init_default_scope('clear_mm')
    if not args.skip_training:
        cfg = Config.fromfile(args.config)
        if args.par_config:
            par = Config.fromfile(args.par_config)
            cfg.model.par_model = par.model
            for step in cfg.train_dataloader.dataset.pipeline:
                if step['type'] == 'Resize':
                    step['scale'] = (128, 256)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        bench_training(cfg, args.iters)
    if not args.skip_metric:
        bench_metric(args)


if __name__ == '__main__':
    main()
