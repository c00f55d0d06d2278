"""Put measured metrics into the metafiles, with where they come from.

    python tools/test.py configs/clear/par_synthetic.py CKPT \
        --record work_dirs/par_synthetic.json
    python tools/misc/record_results.py work_dirs/par_synthetic.json
    python tools/misc/generate_tables.py      # the docs' tables

A record (written by ``tools/test.py --record``) holds a config's test
metrics with the preset, the checkpoint's sha256, the commit and the
machine. This script writes its metrics (rounded to 2 decimals) into the
``Results`` of the config's metafile entry, each metric into the result of
its task (``par/*`` recognition, ``retrieval/*`` and ``partial/*``
retrieval, ``aps/*`` attribute-based person search, ``reid/*``
re-identification; a task the entry did not list is added), and the
provenance into its ``Metadata``. A record
measured with ``--cfg-options`` is refused: an entry describes its config
as committed.
"""
import argparse
import json
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[2]
PAR = 'Pedestrian Attribute Recognition'
RETRIEVAL = 'Attribute-based Person Retrieval'
REID = 'Person Re-identification'
TASK_OF_PREFIX = {
    'par': PAR,
    'par_acc': PAR,
    'retrieval': RETRIEVAL,
    'partial': RETRIEVAL,
    'aps': RETRIEVAL,
    'reid': REID,
}


def metafiles() -> List[Path]:
    return sorted(ROOT.glob('configs/*/metafile.yml'))


def load_metafile(path: Path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def dump_metafile(data: dict, path: Path) -> None:
    with open(path, 'w') as f:
        yaml.safe_dump(
            data, f, sort_keys=False, allow_unicode=True, width=79)


def find_entry(config: str):
    """The metafile and model entry whose ``Config`` is ``config``."""
    config = osp.normpath(config)
    for path in metafiles():
        data = load_metafile(path)
        for model in data['Models']:
            if osp.normpath(model['Config']) == config:
                return path, data, model
    raise KeyError(f'{config} is in no configs/*/metafile.yml: add an entry '
                   'for it first.')


def machine_text(machine: Dict) -> str:
    text = (f"{machine.get('gpu') or machine['cpu']}, {machine['cores']} "
            f"cores, {machine['torch_threads']} threads, torch "
            f"{machine['torch']}, {machine['device']}")
    return text


def apply_record(record: dict, model: dict, source: str) -> List[str]:
    """Write ``record``'s metrics and provenance into ``model`` (a
    metafile entry); returns the metric names written."""
    if record.get('cfg_options'):
        raise ValueError(
            f'{source}: measured with --cfg-options '
            f"{record['cfg_options']}; a metafile entry describes its "
            'config as committed. Make the variant a config of its own.')
    if record.get('dirty'):
        raise ValueError(
            f'{source}: measured with uncommitted changes to tracked files '
            f"(commit {record.get('commit')}); measure a commit.")
    results = {r['Task']: r for r in model['Results']}
    grouped: Dict[str, Dict[str, float]] = {task: {} for task in results}
    for name, value in record['metrics'].items():
        task = TASK_OF_PREFIX.get(name.split('/')[0])
        if task is None:
            raise ValueError(f'{source}: metric {name!r} has no task '
                             f'(known prefixes: {sorted(TASK_OF_PREFIX)}).')
        if task not in results:  # e.g. a retriever's frozen PAR model
            results[task] = dict(
                Task=task,
                Dataset=model['Results'][0]['Dataset'],
                Metrics={})
            model['Results'].append(results[task])
            grouped[task] = {}
        grouped[task][name] = round(float(value), 2)
    for task, result in results.items():
        result['Metrics'] = grouped[task]
    metadata = model.setdefault('Metadata', {})
    metadata.update({
        'Preset': record.get('preset'),
        'Commit': record['commit'],
        'Machine': machine_text(record['machine']),
        'Date': record['date'],
        'Command': record['command'],
    })
    return sorted(record['metrics'])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument(
        'records', nargs='+', help='files written by tools/test.py --record')
    args = parser.parse_args(argv)
    for source in args.records:
        with open(source) as f:
            record = json.load(f)
        path, data, model = find_entry(record['config'])
        names = apply_record(record, model, source)
        dump_metafile(data, path)
        print(f"{model['Name']}: {len(names)} metrics -> "
              f'{path.relative_to(ROOT)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
