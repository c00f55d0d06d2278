"""Importing clear_mm leaves its host as it found it: MMEngine's and
MMPretrain's registries, MMEngine's checkpoint loaders, MMPretrain's model
hub and the default scope are the same before and after, in a fresh
process, and no attribute of a host module or class is replaced."""
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
import types
import scipy.sparse  # noqa: a dependency of ours adds a warnings filter
from mmengine.registry import DefaultScope, Registry
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain.apis.model import ModelHub

HOSTS = ('mmengine', 'mmpretrain', 'mmcv', 'torch', 'torchvision')


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
    out['ModelHub'] = {k: v.config if isinstance(v.config, str) else
                       'built' for k, v in ModelHub._models_dict.items()}
    out['ModelHub']['(registered)'] = str(
        ModelHub._ModelHub__mmpretrain_registered)
    scope = DefaultScope.get_current_instance()
    out['default scope'] = scope and scope.scope_name
    import logging, os, warnings
    import torch
    out['process'] = dict(
        environ=str(sorted(os.environ.items())),
        dtype=str(torch.get_default_dtype()),
        threads=str(torch.get_num_threads()),
        grad=str(torch.is_grad_enabled()),
        deterministic=str(torch.are_deterministic_algorithms_enabled()),
        warnings=str(len(warnings.filters)),
        logging=str(logging.getLogger().handlers))
    return out


def objects():
    """id of every attribute of the loaded host modules and of their own
    classes: a monkeypatch replaces one."""
    out = {}
    for mod_name, mod in list(sys.modules.items()):
        if not (isinstance(mod, types.ModuleType)
                and mod_name.split('.')[0] in HOSTS):
            continue
        for attr, obj in list(vars(mod).items()):
            out[f'{mod_name}.{attr}'] = id(obj)
            if isinstance(obj, type) and obj.__module__ == mod_name:
                for key, value in list(vars(obj).items()):
                    out[f'{mod_name}.{attr}.{key}'] = id(value)
    return out


before, ids = snapshot(), objects()
import clear_mm  # noqa
import clear_mm.apis, clear_mm.search  # noqa
after, new_ids = snapshot(), objects()
replaced = sorted(k for k in ids if new_ids.get(k, ids[k]) != ids[k])
json.dump(dict(before=before, after=after, replaced=replaced,
               checked=len(ids)), sys.stdout)
'''


def test_import_changes_no_host_registry_or_loader():
    out = subprocess.run([sys.executable, '-c', SNAPSHOT], cwd=REPO,
                         capture_output=True, text=True, timeout=300,
                         check=True).stdout
    data = json.loads(out)
    before, after = data['before'], data['after']
    assert data['checked'] > 10000 and not data['replaced']
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

    from clear_mm.models.utils.pretrained import StrictPretrainedInit
    from clear_mm.registry import MODELS, TRANSFORMS, WEIGHT_INITIALIZERS
    assert MODELS.get('CrossTransformer').__module__.startswith('clear_mm')
    assert MODELS.get('VisionTransformer').__module__.startswith('mmpretrain')
    assert TRANSFORMS.get('LoadPedestrianImage').__module__.startswith(
        'clear_mm')
    # our strict init has a name of its own; `Pretrained` is MMEngine's
    # in every scope
    assert WEIGHT_INITIALIZERS.get('StrictPretrained') is \
        StrictPretrainedInit
    assert WEIGHT_INITIALIZERS.get('Pretrained') is MMEngineInit
    assert MMP_INITS.get('Pretrained') is MMEngineInit
    assert 'CrossTransformer' not in MMPRETRAIN_MODELS.module_dict
    # an MMPretrain-scope config builds ours, inside our scope, by _scope_
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MMPRETRAIN_MODELS.build(
            dict(_scope_='clear_mm', type='CrossTransformer', arch='tiny'))
    assert type(model.local_branch).__name__ == 'CASASwinTransformer'


def test_no_name_of_ours_shadows_a_host_name():
    """No entry of our registries has the name of an entry in MMPretrain's
    or MMEngine's (our scope would build ours where a user's config in it
    means the host's)."""
    import clear_mm.apis  # noqa: F401
    import clear_mm.registry as ours
    import clear_mm.search  # noqa: F401
    shadowed = {}
    for attr in ours.__all__:
        registry = getattr(ours, attr)
        registry.import_from_location()
        assert registry.module_dict or attr not in ('MODELS', 'DATASETS')
        host = registry.parent
        while host is not None:
            host.import_from_location()
            clash = set(registry.module_dict) & set(host.module_dict)
            if clash:
                shadowed[f'{attr} ({host.scope})'] = sorted(clash)
            host = host.parent
    assert not shadowed
