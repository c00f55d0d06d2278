"""The docs are tested: the tables equal their data, every command names a
script whose parser takes its flags, every config path exists and every
relative link resolves (README.md, docs/*.md, configs/*/README.md)."""
import argparse
import glob
import importlib.util
import itertools
import os.path as osp
import re
import runpy
import shlex
import sys

import pytest

from tests.utils import REPO

DOCS = sorted(
    glob.glob(osp.join(REPO, 'README.md')) +
    glob.glob(osp.join(REPO, 'docs', '*.md')) +
    glob.glob(osp.join(REPO, 'configs', '*', 'README.md')))
FENCE = re.compile(r'```[a-z]*\n(.*?)```', re.S)
INLINE = re.compile(r'`([^`\n]+)`')
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
CONFIG = re.compile(r'configs/[\w{},*./-]+\.py')
# the configs a user writes for a dataset of their own (docs/datasets.md)
OWN = 'configs/my/'


def rel(path):
    return osp.relpath(path, REPO)


def test_every_doc_is_found():
    names = {rel(d) for d in DOCS}
    assert {'README.md', 'docs/index.md', 'configs/clear/README.md'} <= names


def test_tables_equal_their_data():
    spec = importlib.util.spec_from_file_location(
        'generate_tables', osp.join(REPO, 'tools/misc/generate_tables.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.generate(check=True) == [], (
        'run python tools/misc/generate_tables.py')


def commands(text):
    """Shell commands of code blocks and inline code that run a tool."""
    blocks = FENCE.findall(text)
    rest = FENCE.sub('', text)
    lines = []
    for block in blocks:
        lines += block.replace('\\\n', ' ').splitlines()
    lines += INLINE.findall(rest.replace('\n', ' '))
    for line in lines:
        line = line.strip()
        if line.startswith('$ '):
            line = line[2:]
        line = re.sub(r'\$\([^)]*\)', 'VALUE', line)  # $(...): one word
        for part in re.split(r'&&|\|\||;|\|', line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                continue  # an unfinished quote: prose, not a command
            while words and re.match(r'^[A-Z_]+=', words[0]):
                words = words[1:]
            if len(words) >= 2 and words[0] in ('python', 'bash') and \
                    words[1].startswith(('tools/', 'projects/')):
                yield words


class Parsed(Exception):
    """Raised by the patched parser once a command line parsed."""


def parses(script, args, monkeypatch):
    parse = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        parse(self, args, namespace)
        raise Parsed()

    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args',
                        parse_then_stop)
    monkeypatch.setattr(sys, 'argv', [script] + args)
    try:
        runpy.run_path(script, run_name='__main__')
    except Parsed:
        return True
    except SystemExit as e:
        return e.code in (0, None)
    except Exception as e:  # an argparse action refused a value
        print(f'{type(e).__name__}: {e}', file=sys.stderr)
    return False


@pytest.mark.parametrize('doc', DOCS, ids=rel)
def test_commands_name_scripts_that_take_their_flags(doc, monkeypatch,
                                                     capsys):
    with open(doc) as f:
        text = f.read()
    bad = []
    for words in commands(text):
        script = osp.join(REPO, words[1])
        if not osp.isfile(script):
            bad.append(f'{words[1]}: no such script')
        elif words[0] == 'python' and not parses(script, words[2:],
                                                 monkeypatch):
            err = capsys.readouterr().err.strip().splitlines()
            bad.append(f"{' '.join(words)}: {err[-1] if err else ''}")
    assert not bad, f'{rel(doc)}:\n' + '\n'.join(bad)


def expand(pattern):
    """``configs/a_{x,y}.py`` -> both names; ``*`` kept for glob."""
    parts = re.split(r'\{([^}]*)\}', pattern)
    choices = [[p] if i % 2 == 0 else p.split(',')
               for i, p in enumerate(parts)]
    return [''.join(c) for c in itertools.product(*choices)]


@pytest.mark.parametrize('doc', DOCS, ids=rel)
def test_config_paths_exist(doc):
    with open(doc) as f:
        text = f.read()
    missing = [
        name for pattern in set(CONFIG.findall(text))
        for name in expand(pattern)
        if not name.startswith(OWN) and not glob.glob(osp.join(REPO, name))
    ]
    assert not missing, f'{rel(doc)} names absent configs: {missing}'


@pytest.mark.parametrize('doc', DOCS, ids=rel)
def test_relative_links_resolve(doc):
    with open(doc) as f:
        text = f.read()
    broken = []
    for target in LINK.findall(text):
        if re.match(r'^[a-z]+:', target) or target.startswith('#'):
            continue
        path = osp.normpath(osp.join(osp.dirname(doc),
                                     target.split('#')[0]))
        if not osp.exists(path):
            broken.append(target)
    assert not broken, f'{rel(doc)} has broken links: {broken}'
