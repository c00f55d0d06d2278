"""The package's layers: attribute structures below models and datasets,
and models that do not reach into datasets."""
import ast
import glob
import os.path as osp

import pytest

from tests.utils import REPO


def imported_modules(path):
    """Every module a file imports, relative imports made absolute."""
    package = osp.relpath(osp.dirname(path), REPO).replace(osp.sep, '.')
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                yield '.'.join(base + ([node.module] if node.module else []))
            else:
                yield node.module


@pytest.mark.parametrize('layer, forbidden', [
    ('models', ('clear_mm.datasets', )),
    ('structures', ('clear_mm.datasets', 'clear_mm.models',
                    'clear_mm.engine', 'clear_mm.evaluation')),
])
def test_layer_imports(layer, forbidden):
    files = glob.glob(osp.join(REPO, 'clear_mm', layer, '**', '*.py'),
                      recursive=True)
    assert files
    bad = [(osp.relpath(f, REPO), m) for f in files
           for m in imported_modules(f) if m and m.startswith(forbidden)]
    assert not bad
