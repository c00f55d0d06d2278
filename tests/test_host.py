"""Importing clear_mm leaves its host as it found it: MMEngine's and
MMPretrain's registries, MMEngine's checkpoint loaders and the default
scope are the same before and after, in a fresh process."""
import json
import subprocess
import sys

from tests.utils import REPO

SNAPSHOT = r'''
import json, sys
import mmengine.registry as mme
import mmpretrain.registry as mmp
import mmpretrain.datasets, mmpretrain.models, mmpretrain.engine  # noqa
import mmpretrain.evaluation, mmpretrain.visualization  # noqa
from mmengine.registry import DefaultScope, Registry
from mmengine.runner.checkpoint import CheckpointLoader


def name(obj):
    obj = getattr(obj, 'func', obj)  # a functools.partial
    return f'{obj.__module__}.{getattr(obj, "__qualname__", obj)}'


def snapshot():
    out = {}
    for module in (mme, mmp):
        for attr in dir(module):
            reg = getattr(module, attr)
            if isinstance(reg, Registry):
                reg.import_from_location()
                out[f'{module.__name__}.{attr}'] = {
                    k: name(v) for k, v in reg.module_dict.items()}
    out['CheckpointLoader'] = {
        k: name(v) for k, v in CheckpointLoader._schemes.items()}
    scope = DefaultScope.get_current_instance()
    out['default scope'] = scope and scope.scope_name
    return out


before = snapshot()
import clear_mm  # noqa
import clear_mm.apis, clear_mm.search  # noqa
after = snapshot()
json.dump(dict(before=before, after=after), sys.stdout)
'''


def test_import_changes_no_host_registry_or_loader():
    out = subprocess.run([sys.executable, '-c', SNAPSHOT], cwd=REPO,
                         capture_output=True, text=True, timeout=300,
                         check=True).stdout
    data = json.loads(out)
    before, after = data['before'], data['after']
    assert before.keys() == after.keys()
    changed = {
        name: sorted(set(after[name].items()) ^ set(before[name].items()))
        for name in before if after[name] != before[name]
    }
    assert not changed
    # the names our configs use are ours, in our own registries
    assert 'LoadPedestrianImage' not in after['mmpretrain.registry.TRANSFORMS']
    assert after['mmpretrain.registry.TRANSFORMS']['LoadImageFromFile'] == \
        'mmcv.transforms.loading.LoadImageFromFile'
    assert after['mmengine.registry.WEIGHT_INITIALIZERS']['Pretrained'] == \
        'mmengine.model.weight_init.PretrainedInit'


def test_our_scope_finds_ours_and_the_hosts():
    from mmengine.model.weight_init import PretrainedInit as MMEngineInit
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
    from mmpretrain.registry import WEIGHT_INITIALIZERS as MMP_INITS

    from clear_mm.models.utils.pretrained import PretrainedInit
    from clear_mm.registry import MODELS, TRANSFORMS, WEIGHT_INITIALIZERS
    assert MODELS.get('CrossTransformer').__module__.startswith('clear_mm')
    assert MODELS.get('VisionTransformer').__module__.startswith('mmpretrain')
    assert TRANSFORMS.get('LoadPedestrianImage').__module__.startswith(
        'clear_mm')
    # our scope builds our strict init; MMPretrain's builds MMEngine's
    assert WEIGHT_INITIALIZERS.get('Pretrained') is PretrainedInit
    assert MMP_INITS.get('Pretrained') is MMEngineInit
    assert 'CrossTransformer' not in MMPRETRAIN_MODELS.module_dict
    # an MMPretrain-scope config builds ours, inside our scope, by _scope_
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MMPRETRAIN_MODELS.build(
            dict(_scope_='clear_mm', type='CrossTransformer', arch='tiny'))
    assert type(model.local_branch).__name__ == 'CASASwinTransformer'
