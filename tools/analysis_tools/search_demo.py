"""Index a labelled split with a retrieval checkpoint and answer three
queries (complete, partial, free text), printing what was understood and
the top-k images with whether each matches the query on its specified
attributes (the end of ``make demo``).

    python tools/analysis_tools/search_demo.py configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        --index work_dirs/demo_ret/search_index
"""
import argparse
import shutil

import numpy as np

QUERIES = (
    # complete: every attribute of a test person stated (filled in below)
    None,
    'Female, Backpack, -Hat',
    'a man in trousers with a handbag, no hat',
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--index', required=True, help='index folder (made '
                        'afresh)')
    parser.add_argument('--split', default=None)
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config

    from clear_mm.apis.base import build_test_dataset
    from clear_mm.search import PersonSearcher
    cfg = Config.fromfile(args.config)
    dataset = build_test_dataset(cfg, args.split)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    paths = [d['img_path'] for d in infos]
    labels = {d['img_path']: np.asarray(d['gt_score']) for d in infos}

    shutil.rmtree(args.index, ignore_errors=True)
    searcher = PersonSearcher.build(cfg, args.checkpoint, paths, args.index)
    attributes = searcher.parser.attributes
    print(f'Indexed {len(searcher)} images of the {dataset.split} split '
          f'into {args.index}')
    rng = np.random.default_rng(args.seed)
    person = labels[paths[int(rng.integers(len(paths)))]]
    complete = ', '.join(a if v else f'-{a}'
                         for a, v in zip(attributes, person))
    for kind, text in zip(('complete', 'partial', 'free text'),
                          (complete, ) + QUERIES[1:]):
        parsed = searcher.parse(text)
        answer = searcher.search(parsed, args.topk)
        known = parsed.vector >= 0
        relevant = sum(
            bool((v[known] == parsed.vector[known]).all())
            for v in labels.values())
        shown = text if len(text) < 70 else f'{text[:67]}...'
        print(f'\n{kind} query: {shown!r}')
        print(f'  understood: present {parsed.present or "-"}, absent '
              f'{parsed.absent or "-"}' +
              (f'; ignored {parsed.ignored}' if parsed.ignored else '') +
              f' ({answer["mode"]}; {relevant} matching images)')
        for rank, r in enumerate(answer['results'], 1):
            vector = labels[r['path']]
            ok = bool((vector[known] == parsed.vector[known]).all())
            print(f'  {rank}. {r["score"]:.3f} {"match" if ok else "-    "} '
                  f'{r["path"]}')


if __name__ == '__main__':
    main()
