"""Write the docs' result tables from the metafiles and the results files.

    python tools/misc/generate_tables.py           # rewrite the tables
    python tools/misc/generate_tables.py --check   # exit 1 if one differs

Numbers live once, as data: a config's in its metafile entry
(``tools/misc/record_results.py``), a benchmark's in its file under
``results/`` (the benchmark's ``--out``). A Markdown file shows them in a
block this script fills; the opening comment says what goes in it:

    <!-- table models="par_synthetic ret_synthetic" metrics="par/mA=mA" -->
    <!-- /table -->

- ``models`` + ``metrics``: one row per model (its name links its config),
  one column per metric (``key=label``, ``_`` for a space in the
  label), ``-`` where none was measured;
- ``model`` + ``rows`` + ``metrics``: one model's metrics as a grid, a
  row per key prefix, a column per key suffix (``partial/k1`` x ``mAP``);
- ``collection``: every model of an algorithm, its task, its data, the
  headline metrics measured here and those its paper reports;
- ``benchmark``: a results file of ``benchmark_inference.py`` or
  ``benchmark_model.py``.

Under each table a line says which preset, commit and machine measured it.
"""
import argparse
import json
import os.path as osp
import re
import shlex
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ['README.md', 'docs/*.md', 'configs/*/README.md']
BLOCK = re.compile(r'(<!-- table (?P<args>.*?) -->\n)(?P<body>.*?)'
                   r'(<!-- /table -->)', re.S)
HEADLINE = {
    'Pedestrian Attribute Recognition': ['par/mA', 'par/f1'],
    'Attribute-based Person Retrieval':
    ['retrieval/R1', 'retrieval/mAP', 'aps/R1', 'aps/mAP'],
    'Person Re-identification': ['reid/R1', 'reid/mAP'],
}
SHORT_TASK = {
    'Pedestrian Attribute Recognition': 'PAR',
    'Attribute-based Person Retrieval': 'retrieval',
    'Person Re-identification': 'reID',
}


def load_models() -> Dict[str, dict]:
    """Every metafile entry by name, with its collection."""
    models = {}
    for path in sorted(ROOT.glob('configs/*/metafile.yml')):
        with open(path) as f:
            data = yaml.safe_load(f)
        for model in data['Models']:
            models[model['Name']] = model
    return models


def metrics_of(model: dict) -> Dict[str, float]:
    out = {}
    for result in model.get('Results') or []:
        out.update(result.get('Metrics') or {})
    return out


def label(key: str) -> str:
    """A short column name for a metric key: ``retrieval/R1`` -> ``R-1``."""
    parts = key.split('/')
    if parts[0] in ('par', 'retrieval'):  # the task's own metrics
        parts = parts[1:]
    text = re.sub(r'\bf1\b', 'F1', ' '.join(parts))
    return re.sub(r'\bR(\d+)\b', r'R-\1', text)


def fmt(value, key: str = '') -> str:
    if value is None:
        return '-'
    return str(int(value)) if key.endswith('queries') else f'{value:.2f}'


def link(path: str, doc: Path, text: Optional[str] = None) -> str:
    rel = osp.relpath(ROOT / path, doc.parent)
    return f'[{text or Path(path).stem}]({rel})'


def provenance_line(models: Iterable[dict]) -> str:
    seen = []
    for model in models:
        meta = model.get('Metadata') or {}
        if not meta.get('Commit'):
            continue
        key = (meta.get('Preset'), meta['Commit'][:7], meta['Machine'],
               meta['Date'][:10])
        if key not in seen:
            seen.append(key)
    if not seen:
        return ''
    parts = [
        f'preset `{preset}`, commit {commit}, {machine}, {date}'
        if preset else f'commit {commit}, {machine}, {date}'
        for preset, commit, machine, date in seen
    ]
    return 'Measured with ' + '; '.join(parts) + '.\n'


def models_table(args: dict, doc: Path, models: Dict[str, dict]) -> str:
    names = args['models'].split()
    columns = []
    for item in args['metrics'].split():
        key, _, text = item.partition('=')
        columns.append((key, text.replace('_', ' ') or label(key)))
    unknown = [n for n in names if n not in models]
    if unknown:
        raise KeyError(f'{doc}: no metafile entry named {unknown}')
    lines = [
        '| config | ' + ' | '.join(text for _, text in columns) + ' |',
        '|---|' + '---|' * len(columns),
    ]
    for name in names:
        values = metrics_of(models[name])
        lines.append(f"| {link(models[name]['Config'], doc)} | " +
                     ' | '.join(fmt(values.get(k), k) for k, _ in columns) +
                     ' |')
    return '\n'.join(lines) + '\n\n' + provenance_line(
        models[n] for n in names)


def rows_table(args: dict, doc: Path, models: Dict[str, dict]) -> str:
    """One model's metrics as a grid: a row per key prefix (``rows``),
    a column per key suffix (``metrics``)."""
    model = models[args['model']]
    values = metrics_of(model)

    def pairs(text):
        return [(k, t.replace('_', ' ') or k) for k, _, t in
                (item.partition('=') for item in text.split())]

    rows, columns = pairs(args['rows']), pairs(args['metrics'])
    lines = [
        f"| {link(model['Config'], doc)} | " +
        ' | '.join(text for _, text in columns) + ' |',
        '|---|' + '---|' * len(columns),
    ]
    for prefix, text in rows:
        cells = [fmt(values.get(f'{prefix}/{s}'), s) for s, _ in columns]
        lines.append(f'| {text} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n\n' + provenance_line([model])


def headline(metrics: Dict[str, float], tasks: List[str]) -> str:
    keys = [k for task in tasks for k in HEADLINE[task] if k in metrics]
    return ', '.join(f'{label(k)} {metrics[k]:.2f}' for k in keys) or '-'


def collection_table(args: dict, doc: Path, models: Dict[str, dict]) -> str:
    rows = [m for m in models.values()
            if m.get('In Collection') == args['collection']]
    if not rows:
        raise KeyError(f"{doc}: no model in collection {args['collection']}")
    lines = [
        '| config | task | data | measured here | reported in the paper |',
        '|---|---|---|---|---|',
    ]
    for model in rows:
        tasks = [r['Task'] for r in model['Results']]
        reported = model.get('Reported') or {}
        paper = ', '.join(
            f'{label(k)} {v}'
            for k, v in (reported.get('Metrics') or {}).items())
        if paper and reported.get('Source'):
            paper += f" ({reported['Source']})"
        lines.append(
            f"| {link(model['Config'], doc)} | "
            f"{' + '.join(SHORT_TASK[t] for t in tasks)} | "
            f"{model['Results'][0]['Dataset']} | "
            f'{headline(metrics_of(model), tasks)} | {paper or "-"} |')
    return '\n'.join(lines) + '\n\n' + provenance_line(rows)


def benchmark_table(args: dict, doc: Path) -> str:
    path = ROOT / args['benchmark']
    if not path.is_file():
        return f"Not measured yet: no `{args['benchmark']}`.\n"
    with open(path) as f:
        data = json.load(f)
    if 'indexes' in data:  # benchmark_search.py
        lines, note = search_table(data, args.get('part', 'indexes'),
                                   args)
    elif isinstance(data.get('rows'), list) and data['rows'] and \
            'variant' in data['rows'][0]:  # onnx_accuracy.py
        base = data['rows'][0]
        metrics = [m for m in ('mAP', 'mA') if m in base]
        lines = [
            '| variant | ' + ''.join(f'{m} | {m} cost | ' for m in metrics) +
            'img/s b1 | img/s b8 | b1 / eager | b8 / eager |',
            '|---' * (5 + 2 * len(metrics)) + '|',
        ]
        for row in data['rows']:
            lines.append(
                f"| {row['variant']} | " + ''.join(
                    f'{row[m]:.2f} | {base[m] - row[m]:+.2f} | '
                    for m in metrics) +
                f"{row['img_s_b1']:.1f} | {row['img_s_b8']:.1f} | "
                f"{row['img_s_b1'] / base['img_s_b1']:.2f}x | "
                f"{row['img_s_b8'] / base['img_s_b8']:.2f}x |")
        how = 'static (calibrated)' if data.get('calibration') else \
            'dynamic'
        graph = data.get('graph', 'recognition')
        note = (f"{' and '.join(metrics)} on {data['test_images']} test "
                f"images of `{data['config']}` (checkpoint sha256 "
                f"{data['checkpoint_sha256'][:12]}), its {graph} graph; int8 "
                f"{how}; images per second, median of {data['repeats']}.")
    elif 'presets' in data:  # benchmark_inference.py
        lines, note = inference_table(data, args.get('part', 'speed'),
                                      args)
    elif 'throughput' in data:  # benchmark_model.py --throughput
        lines, note = throughput_table(data)
    elif args.get('part') == 'profile':  # benchmark_model.py --profile
        profile = data['profile']
        totals = profile['totals_s']
        branches = totals['vit_only'] + totals['swin_only']
        lines = ['| operator | full (s) | ViT-only + Swin-only (s) | '
                 'full - branches (s) |', '|---|---|---|---|']
        for r in profile['operators'][:int(args.get('top', 12))]:
            lines.append(f"| `{r['op']}` | {r['full_s']:.3f} | "
                         f"{r['branches_s']:.3f} | {r['extra_s']:+.3f} |")
        lines.append(f"| all operators | {totals['full']:.3f} | "
                     f"{branches:.3f} | {totals['full'] - branches:+.3f} |")
        faults = profile.get('page_faults')
        if faults:
            parts = faults['vit_only'] + faults['swin_only']
            lines.append(f"| minor page faults of one step | "
                         f"{faults['full']:,} | {parts:,} | "
                         f"{faults['full'] - parts:+,} |")
        env = data.get('environment') or {}
        note = (f"torch.profiler self CPU seconds of one forward+backward "
                f"at batch {profile['batch']}, the operators with the "
                'largest differences first; glibc malloc ' +
                (', '.join(f'`{k}={v}`' for k, v in sorted(env.items()))
                 or 'defaults') + '.')
    else:  # benchmark_model.py
        rows = data['rows']
        keys = list(next(iter(rows.values())))
        heads = [
            re.sub(r'_b(\d+)_s$', r' b\1 (s)', k).replace('fwd_bwd', 'fwd+bwd')
            .replace('params_M', 'params (M)').replace('gflops', 'GFLOPs')
            for k in keys
        ]
        lines = [
            '| model | ' + ' | '.join(heads) + ' |',
            '|---|' + '---|' * len(keys),
        ]
        for name, row in rows.items():
            lines.append(f'| {name} | ' +
                         ' | '.join(f'{row[k]:.3f}' for k in keys) + ' |')
        if {'vit_only', 'swin_only'} <= set(rows):
            ratio = {
                k: rows['full'][k] /
                (rows['vit_only'][k] + rows['swin_only'][k])
                for k in keys
            }
            lines.append('| full / (vit_only + swin_only) | ' +
                         ' | '.join(f'{ratio[k]:.2f}' for k in keys) + ' |')
        env = data.get('environment') or {}
        note = (f"Input {data['input'][0]}x{data['input'][1]}, "
                f"{data['weights']} weights, seconds per call (median of "
                f"{data['repeats']}, the models in alternating blocks); "
                'glibc malloc ' +
                (', '.join(f'`{k}={v}`' for k, v in sorted(env.items()))
                 or 'defaults') + '.')
    meta = data['machine']
    machine = (f"{meta.get('gpu') or meta['cpu']}, {meta['cores']} cores, "
               f"{meta['torch_threads']} threads, torch {meta['torch']}, "
               f"{meta['device']}")
    preset = f"preset `{data['preset']}`, " if data.get('preset') else ''
    return ('\n'.join(lines) + f'\n\n{note} Measured with {preset}commit '
            f"{data['commit'][:7]}, {machine}, {data['date'][:10]} "
            f"(`{data['command']}`).\n")


INFERENCE_VARIANTS = [
    ('eager', 'eager'), ('compile', 'torch.compile'),
    ('onnxruntime', 'ORT fp32'), ('onnxruntime_fp16', 'ORT fp16'),
    ('onnxruntime_int8', 'ORT int8'), ('eager_bf16', 'eager bf16'),
    ('channels_last', 'channels-last'), ('compile_bf16', 'compile bf16'),
    ('ort_cuda', 'ORT CUDA'), ('ort_cuda_fp16', 'ORT CUDA fp16'),
    ('ort_tensorrt_fp16', 'ORT TensorRT fp16')
]
#: onnx_accuracy.py's variant of each benchmark_inference.py variant
ACCURACY_VARIANT = dict(eager='eager', onnxruntime='ONNX Runtime fp32',
                        onnxruntime_fp16='ONNX Runtime fp16',
                        onnxruntime_int8='ONNX Runtime int8')


def inference_table(data: dict, part: str, args: dict):
    """``speed``: images per second of each preset, batch and variant with
    its ratio to eager, then each variant's largest score difference from
    eager fp32 and, with ``accuracy`` (onnx_accuracy.py records, space
    separated), the metric each precision costs the demo's trained models.
    ``sweep``: ONNX Runtime's session settings against the default."""
    if part == 'sweep':
        settings = list(dict.fromkeys(r['setting'] for r in data['sweep']))
        keys = list(dict.fromkeys((r['preset'], r['batch'])
                                  for r in data['sweep']))
        by = {(r['preset'], r['batch'], r['setting']): r
              for r in data['sweep']}
        lines = ['| setting | ' + ' | '.join(f'{p} b{b}' for p, b in keys) +
                 ' |', '|---' * (1 + len(keys)) + '|']
        for setting in settings:
            lines.append(f'| {setting} | ' + ' | '.join(
                f"{by[(p, b, setting)]['vs_default']:.2f}x"
                if (p, b, setting) in by else '-' for p, b in keys) + ' |')
        note = ('Images per second of each ONNX Runtime setting over the '
                "default session's (OnnxGraph: batch fixed, all graph "
                'optimisations, as many threads as PyTorch, memory pattern '
                'and spin-waiting on), each timed beside the default in '
                f"alternating blocks, {data['weights']} weights.")
        return lines, note
    names = [(k, t) for k, t in INFERENCE_VARIANTS
             if any(k in r['variants'] for r in data['rows'])]
    lines = ['| preset | batch | ' + ' | '.join(t for _, t in names) + ' |',
             '|---' * (2 + len(names)) + '|']
    for row in data['rows']:
        eager = row['variants']['eager']['img_s']
        cells = []
        for key, _ in names:
            v = row['variants'].get(key)
            cells.append('-' if v is None else
                         f"{v['img_s']:.1f}" if key == 'eager' else
                         f"{v['img_s']:.1f} ({v['img_s'] / eager:.2f}x)")
        lines.append(f"| {row['preset']} | {row['batch']} | " +
                     ' | '.join(cells) + ' |')
    for preset in data['presets']:
        worst = {}
        for row in data['rows']:
            if row['preset'] == preset:
                for key, v in row['variants'].items():
                    worst[key] = max(worst.get(key, 0.0),
                                     v['max_difference'])
        lines.append(f'| {preset} | max abs score difference | ' +
                     ' | '.join('-' if k not in worst else
                                f'{worst[k]:.1e}' for k, _ in names) + ' |')
    accuracy = []
    for name in args.get('accuracy', '').split():
        path = ROOT / name
        if not path.is_file():
            continue
        with open(path) as f:
            record = json.load(f)
        rows = {r['variant'].replace(' dynamic', '').replace(' static', ''):
                r for r in record['rows']}
        base = record['rows'][0]
        for metric in ('mAP', 'mA'):
            if metric not in base:
                continue
            cells = []
            for key, _ in names:
                r = rows.get(ACCURACY_VARIANT.get(key))
                cells.append('-' if r is None else
                             f'{base[metric] - r[metric]:+.2f}')
            graph = record.get('graph', 'recognition')
            what = 'recognition model' if graph == 'recognition' else \
                "retrieval model's image graph"
            lines.append(f"| demo {what} | {metric} cost | " +
                         ' | '.join(cells) + ' |')
            accuracy.append(f"{metric} of `{record['config']}`'s {graph} "
                            f"graph (eager {base[metric]:.2f}, int8 "
                            f"{'static' if record.get('calibration') else 'dynamic'}"
                            f", commit {record['commit'][:7]})")
    card = f" on {data['card']}" if data.get('card') else ''
    note = (f"Images per second{card}, median of {data['repeats']} timed "
            f"runs in alternating blocks after {data['warmup']} warm-up runs "
            f"each, {data['weights']} weights; ONNX Runtime in "
            f"{data.get('ort_session', 'its default session')}. The score "
            'differences are from eager fp32 on the timed random images.')
    if accuracy:
        note += (' The cost rows are what each precision takes from the '
                 'metric of a trained model on its test split, measured by '
                 'onnx_accuracy.py: ' + '; '.join(accuracy) + '.')
    return lines, note


def throughput_table(data: dict):
    """benchmark_model.py --throughput: training and inference per
    variant and batch size."""
    t = data['throughput']
    lines = ['| variant | batch | train img/s | infer img/s | train peak '
             'memory (MiB) | infer peak memory (MiB) | train TFLOP/s | '
             'train MFU |', '|---|---|---|---|---|---|---|---|']

    def num(v, spec):
        return '-' if v is None else format(v, spec)

    for r in t['rows']:
        mfu = r.get('train_mfu')
        lines.append(
            f"| {r['variant']} | {r['batch']} | "
            f"{num(r.get('train_img_s'), '.1f')} | "
            f"{num(r.get('infer_img_s'), '.1f')} | "
            f"{num(r.get('train_peak_memory_MiB'), '.0f')} | "
            f"{num(r.get('infer_peak_memory_MiB'), '.0f')} | "
            f"{num(r.get('train_tflops'), '.1f')} | "
            f"{'-' if mfu is None else f'{100 * mfu:.1f} %'} |")
    peak = t.get('peak_bf16_tflops')
    note = (f"{data.get('card') or data['device']}; "
            f"{t['macs_per_image'] / 1e9:.2f} GMACs per image (MMEngine's "
            'count), a training step taken as 6 FLOPs per MAC; MFU over a '
            f"dense bf16 peak of {peak} TFLOP/s; median of "
            f"{data['repeats']}, {data['weights']} weights.")
    return lines, note


def search_table(data: dict, part: str, args: dict):
    """The tables of ``benchmark_search.py``'s record: ``indexes`` (index
    types on each distribution), ``end_to_end`` (PersonSearcher.search per
    query kind), ``indexing`` (images per second) and ``sizing`` (a
    gallery of ``images`` crops, from the measured bytes per image and
    indexing speed; ``node_gib`` of memory per node, ``days`` to index
    it)."""
    n = data['size']
    if part == 'indexes':
        lines = ['| distribution | images | index | build (s) | bytes / '
                 'image | p50 (ms) | p99 (ms) | recall@10 |',
                 '|---|---|---|---|---|---|---|---|']
        for r in data['indexes']:
            per = r.get('bytes_per_image')
            lines.append(
                f"| {r['distribution']} | {r['n']:,} | {r['index']} | "
                f"{r['build_s']:.1f} | "
                f"{'-' if per is None else f'{per:.0f}'} | "
                f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                f"{r['recall']:.3f} |")
        note = (f"One query at a time, {data['threads']} threads; recall@10 "
                'against exact search on held-out queries; the model '
                "distribution's replicas sit at cosine "
                f"{data.get('replica_cosine', float('nan')):.3f} from their "
                f"{data['source']} source images.")
    elif part == 'end_to_end':
        lines = [f'| query ({n:,} images) | queries | p50 (ms) | p99 (ms) | '
                 'recall@10 | scored as |', '|---|---|---|---|---|---|']
        for r in data['end_to_end']:
            lines.append(f"| {r['kind']} | {r['queries']} | "
                         f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                         f"{r['recall']:.3f} | {', '.join(r['modes'])} |")
        note = ('`PersonSearcher.search` (parse, encode, search, re-score) '
                f"on the HNSW index (efSearch {data['end_to_end_ef_search']},"
                ' tuned at build), recall@10 against exhaustive scoring of '
                'every image.')
    elif part == 'indexing':
        lines = ['| model | weights | runtime | images | img/s |',
                 '|---|---|---|---|---|']
        for r in data['indexing']:
            lines.append(f"| {r['config']} | {r['weights']} | "
                         f"{r.get('runtime', 'PyTorch')} | {r['images']} "
                         f"| {r['images_per_s']:.1f} |")
        note = ('`PersonSearcher.build` of rendered images: decoding, '
                'embedding and writing included, one process.')
    else:  # sizing
        images = float(args.get('images', 1e8))
        node = float(args.get('node_gib', 64)) * 2**30 * 0.7
        days = float(args.get('days', 7))
        lines = [f'| index ({images:.0e} images) | memory (GiB) | nodes of '
                 f"{args.get('node_gib', 64)} GiB (70 % used) |",
                 '|---|---|---|']
        seen = set()
        for r in data['indexes']:
            kind = r['index'].split(' nprobe')[0].split(', efSearch')[0]
            if r['distribution'] != 'model' or 'bytes_per_image' not in r \
                    or kind in seen:
                continue  # one row per index type (nprobe: same memory)
            seen.add(kind)
            total = r['bytes_per_image'] * images
            lines.append(f"| {kind} | {total / 2**30:,.0f} | "
                         f"{int(-(-total // node))} |")
        per_day = images / days / 86400
        lines += ['', f'| indexing {images:.0e} images in {days:g} days | '
                  'img/s needed | processes at the measured speed |',
                  '|---|---|---|']
        for r in data['indexing']:
            lines.append(f"| {r['config']} ({r['weights']} weights, "
                         f"{r.get('runtime', 'PyTorch')}) | "
                         f"{per_day:,.0f} | "
                         f"{int(-(-per_day // r['images_per_s']))} |")
        note = ('Memory: the measured bytes per image at '
                f'{n:,} images times the gallery; the gallery rows '
                '(embedding, scores, path) come on top for faiss, and are '
                'the engine\'s storage for Milvus.')
    return lines, note


def render(args: dict, doc: Path, models: Dict[str, dict]) -> str:
    if 'benchmark' in args:
        return benchmark_table(args, doc)
    if 'collection' in args:
        return collection_table(args, doc, models)
    if 'rows' in args:
        return rows_table(args, doc, models)
    return models_table(args, doc, models)


def documents() -> List[Path]:
    return sorted({p for pattern in DOCS for p in ROOT.glob(pattern)})


def generate(check: bool = False) -> List[str]:
    """Fill every table; returns the files that changed (with ``check``,
    that would change, leaving them as they are)."""
    models = load_models()
    changed = []
    for doc in documents():
        text = doc.read_text()

        def fill(match):
            args = dict(
                item.split('=', 1) for item in shlex.split(match['args']))
            return match[1] + render(args, doc, models) + match[4]

        new = BLOCK.sub(fill, text)
        if new != text:
            changed.append(str(doc.relative_to(ROOT)))
            if not check:
                doc.write_text(new)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument(
        '--check',
        action='store_true',
        help='change nothing; exit 1 when a table differs from its data')
    args = parser.parse_args(argv)
    changed = generate(check=args.check)
    for path in changed:
        print(('differs from its data: ' if args.check else 'updated: ') +
              path)
    return 1 if args.check and changed else 0


if __name__ == '__main__':
    sys.exit(main())
