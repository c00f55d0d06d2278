"""Render the synthetic pedestrian dataset (cached; a no-op when present).

    python tools/dataset_converters/generate_synthetic.py data/synthetic
"""
import argparse
import time

from clear_mm.datasets import generate_synthetic_dataset


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('root', nargs='?', default='data/synthetic')
    parser.add_argument('--num-train', type=int, default=3000)
    parser.add_argument('--num-val', type=int, default=500)
    parser.add_argument('--num-test', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--label-source',
        help='a PA100K annotation.mat whose training labels drive the '
        'attribute vectors')
    parser.add_argument('--workers', type=int, default=None)
    args = parser.parse_args()
    start = time.time()
    meta = generate_synthetic_dataset(
        args.root,
        num_train=args.num_train,
        num_val=args.num_val,
        num_test=args.num_test,
        seed=args.seed,
        label_source=args.label_source,
        workers=args.workers)
    print(f'{len(meta["images"])} images in {args.root} '
          f'({time.time() - start:.1f} s)')


if __name__ == '__main__':
    main()
