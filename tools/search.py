"""Person search over a folder of crops.

    # embed a folder (recursively) into an index; run again with more
    # images to add them (the same checkpoint only)
    python tools/search.py index configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        data/synthetic/images --index work_dirs/search_index

    # the same in a Milvus collection: a Milvus Lite file, or a server
    # (--milvus-uri http://HOST:19530); query and add read the choice
    # from the index folder
    python tools/search.py index configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        data/synthetic/images --index work_dirs/search_milvus \
        --backend milvus --milvus-uri work_dirs/search_milvus.db

    # embed with an exported image graph in ONNX Runtime (e.g. int8):
    # export_onnx.py --kind image --precision int8, then
    python tools/search.py index configs/clear/ret_synthetic.py \
        work_dirs/demo_ret/best_retrieval_mAP_epoch_10.pth \
        data/synthetic/images --index work_dirs/search_int8 \
        --onnx clear_tiny_ret_int8.onnx

    # ask: attribute names (others unknown; -Name or "no Name" for absent)
    # or a description
    python tools/search.py query work_dirs/search_index \
        --query "Female, Backpack, -Hat" --topk 5
    python tools/search.py query work_dirs/search_index \
        --query "a woman in a long coat carrying a handbag" --json
"""
import argparse
import json
import logging
import os
import os.path as osp
import sys


def parse_args():
    parser = argparse.ArgumentParser(description='Person search')
    sub = parser.add_subparsers(dest='command', required=True)
    index = sub.add_parser('index', help='embed images into an index')
    index.add_argument('config', help='retrieval model config')
    index.add_argument('checkpoint', help='retrieval checkpoint ("none" '
                       'for CLIP zero-shot: its weights are the config\'s '
                       'CLIP folder, and queries are searched as text)')
    index.add_argument('images', help='folder of crops (recursive), .txt '
                       'list or image')
    index.add_argument('--index', required=True, help='index folder')
    index.add_argument('--backend', choices=['faiss', 'milvus'],
                       help='faiss: files in the index folder (the default '
                       'for a new index); milvus: a Milvus collection '
                       '(--milvus-uri). An existing index keeps its own')
    index.add_argument('--milvus-uri',
                       help='a .db file (Milvus Lite) or http://HOST:19530 '
                       '(a Milvus server or cluster)')
    index.add_argument('--collection',
                       help='Milvus collection (default: clear_mm_ and the '
                       'index folder\'s name)')
    index.add_argument('--milvus-index', default='FLAT',
                       choices=['FLAT', 'HNSW', 'IVF_FLAT', 'IVF_PQ',
                                'AUTOINDEX'],
                       help='the vector index Milvus builds (default FLAT: '
                       'exact)')
    index.add_argument('--chunk-size', type=int, default=4096,
                       help='images embedded between two writes: a killed '
                       'run resumes from the last written chunk')
    index.add_argument('--batch-size', type=int, default=32)
    index.add_argument('--onnx',
                       help='embed with this image graph exported from the '
                       'model (tools/deployment/export_onnx.py --kind '
                       'image, any precision) in ONNX Runtime')
    index.add_argument('--device', default=None)
    index.add_argument('--launcher', choices=['none', 'pytorch'],
                       default='none',
                       help='pytorch: under torchrun, each process embeds '
                       'and writes its share of the images '
                       '(tools/dist_search_index.sh)')
    query = sub.add_parser('query', help='search an index')
    query.add_argument('index', help='index folder')
    query.add_argument('--query', required=True,
                       help='attribute names or a description')
    query.add_argument('--topk', type=int, default=10)
    query.add_argument('--cameras', type=int, nargs='+',
                       help='keep these cameras only')
    query.add_argument('--where',
                       help='keep images whose predicted attributes agree, '
                       'e.g. "Backpack, -Hat"')
    query.add_argument('--json', action='store_true',
                       help='print one JSON object')
    query.add_argument('--out', help='draw the top-k images here')
    query.add_argument('--device', default=None)
    return parser.parse_args()


def draw(path, answer, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from PIL import Image
    results = answer['results']
    fig, axes = plt.subplots(
        1, max(1, len(results)), figsize=(1.6 * max(1, len(results)), 3.4),
        squeeze=False)
    for ax, r in zip(axes[0], results):
        ax.imshow(Image.open(r['path']).convert('RGB'))
        ax.set_title(f'{r["score"]:.3f}', fontsize=8)
    for ax in axes[0]:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    args = parse_args()
    from mmengine.logging import MMLogger

    from clear_mm.search import PersonSearcher
    try:
        if args.command == 'index':
            from clear_mm.engine.distributed import (init_launcher,
                                                     teardown_distributed)
            rank = init_launcher(args.launcher)
            if args.backend == 'milvus' and not args.milvus_uri:
                raise ValueError('--backend milvus needs --milvus-uri.')
            checkpoint = None if args.checkpoint.lower() == 'none' else \
                args.checkpoint
            searcher = PersonSearcher.build(
                args.config, checkpoint, args.images, args.index,
                batch_size=args.batch_size, device=args.device,
                backend=args.backend, milvus_uri=args.milvus_uri,
                collection=args.collection, milvus_index=args.milvus_index,
                chunk_size=args.chunk_size, onnx=args.onnx)
            kind = 'approximate' if searcher.info['approximate'] else \
                'exact'
            where = ''
            if searcher.info.get('backend') == 'milvus':
                milvus = searcher.info['milvus']
                where = (f' in Milvus {milvus["uri"]}, collection '
                         f'{milvus["collection"]}')
            if rank == 0:
                print(f'{args.index}: {len(searcher)} images '
                      f'({searcher.last_added} added; {kind} search{where})')
            teardown_distributed()
            return
        # stdout is for the answer (one JSON object with --json)
        MMLogger.get_current_instance().setLevel(logging.WARNING)
        searcher = PersonSearcher.open(args.index, device=args.device)
        answer = searcher.search(args.query, args.topk, args.cameras,
                                 args.where)
    except (FileNotFoundError, KeyError, ValueError) as e:
        raise SystemExit(f'Error: {e.args[0] if e.args else e}') from None
    if args.json:
        json.dump(answer, sys.stdout, indent=1)
        print()
    else:
        understood = answer['understood']
        print(f'present: {", ".join(understood["present"]) or "-"}; '
              f'absent: {", ".join(understood["absent"]) or "-"}; '
              f'unknown: the rest'
              + (f'; not understood: {", ".join(answer["ignored"])}'
                 if answer['ignored'] else ''))
        for word, g in answer.get('guessed', {}).items():
            print(f'  "{word}" read as {g["attribute"]} '
                  f'{"present" if g["value"] else "absent"} (closest phrase '
                  f'"{g["phrase"]}", cosine {g["cosine"]:.2f})')
        for rank, r in enumerate(answer['results'], 1):
            print(f'{rank:3d}. {r["score"]:.4f}  {r["path"]}')
    if args.out:
        draw(args.out, answer, args.query)
        if not args.json:
            print(f'Picture: {args.out}')


if __name__ == '__main__':
    main()
