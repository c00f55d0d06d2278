import json
import logging
import os
import os.path as osp
import string
import subprocess
import warnings

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import clear_mm  # noqa: F401  (registers the modules)
from tests.utils import REPO

REALDATA = osp.join(osp.dirname(REPO), 'shared', 'realdata')

warnings.filterwarnings('ignore')
init_default_scope('clear_mm')
# init_weights() logs one line per parameter.
MMLogger.get_current_instance().setLevel(logging.WARNING)


# set by pytest itself, or by a library the first time it is imported
# (scikit-learn's OpenMP runtime), not by a test
IMPORT_SET_VARIABLES = ('PYTEST_CURRENT_TEST', 'KMP_INIT_AT_FORK')


def _repository_files():
    """``git status`` of the repository, ignored files included (folders
    as a whole); None outside a git checkout. Bytecode caches left out."""
    proc = subprocess.run(['git', 'status', '--porcelain', '--ignored'],
                          cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return {line for line in proc.stdout.splitlines()
            if '__pycache__' not in line and '.pytest_cache' not in line}


@pytest.fixture(scope='session', autouse=True)
def repository_untouched():
    """The suite writes nothing into the repository: its data, work
    folders and checkpoints go to temporary folders."""
    before = _repository_files()
    yield
    after = _repository_files()
    if before is not None and after is not None:
        assert not sorted(after - before), (
            'the tests wrote into the repository: '
            f'{sorted(after - before)}')


def _registries() -> dict:
    """The entries of MMEngine's, MMPretrain's and our registries, of
    MMEngine's checkpoint loaders and of MMPretrain's model hub."""
    import mmengine.registry as mmengine_registry
    import mmpretrain.registry as mmpretrain_registry
    from mmengine.registry import Registry
    from mmengine.runner.checkpoint import CheckpointLoader
    from mmpretrain.apis.model import ModelHub

    import clear_mm.registry as ours
    out = {}
    for module in (mmengine_registry, mmpretrain_registry, ours):
        for attr in dir(module):
            registry = getattr(module, attr)
            if isinstance(registry, Registry):
                out[f'{module.__name__}.{attr}'] = dict(registry.module_dict)
    out['CheckpointLoader'] = dict(CheckpointLoader._schemes)
    out['ModelHub'] = dict(ModelHub._models_dict)
    return out


@pytest.fixture(autouse=True)
def no_state_leak():
    """Every test leaves the environment variables, the working directory
    and the registries as it found them (monkeypatch restores what it
    changed): no entry replaced or removed, none of a test's own added (a
    registry filling itself on first use is no leak)."""
    env, cwd, registries = dict(os.environ), os.getcwd(), _registries()
    yield
    assert os.getcwd() == cwd, f'the working directory moved to {os.getcwd()}'
    changed = sorted(k for k in set(env) | set(os.environ)
                     if env.get(k) != os.environ.get(k)
                     and k not in IMPORT_SET_VARIABLES)
    assert not changed, f'environment variables left changed: {changed}'
    leaks = []
    for name, entries in _registries().items():
        before = registries[name]
        leaks += [f'{name}[{k!r}] replaced or removed' for k in before
                  if entries.get(k) is not before[k]]
        leaks += [
            f'{name}[{k!r}] added by a test' for k, v in entries.items()
            if k not in before and (
                name == 'ModelHub' or getattr(v, '__module__', '').split(
                    '.')[0] in ('tests', '__main__'))
        ]
    assert not leaks, leaks


@pytest.fixture
def safe_checkpoint_loading():
    """MMEngine's CheckpointLoader with clear_mm's scheme registered, as
    our tools register it for their own process; restored afterwards."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from clear_mm.utils import register_safe_scheme
    saved = dict(CheckpointLoader._schemes)
    register_safe_scheme()
    yield
    CheckpointLoader._schemes.clear()
    CheckpointLoader._schemes.update(saved)


def realdata(name: str) -> str:
    """Path of a file in ../shared/realdata, or skip the test."""
    path = osp.join(REALDATA, name)
    if not osp.exists(path):
        pytest.skip(f'{path} not available')
    return path


@pytest.fixture(scope='session')
def tiny_gpt(tmp_path_factory):
    """A 1-layer OpenAI-GPT with a character vocabulary: like `openai-gpt`,
    its tokenizer has no pad token."""
    from transformers import (OpenAIGPTConfig, OpenAIGPTModel,
                              OpenAIGPTTokenizer)
    folder = str(tmp_path_factory.mktemp('tiny_gpt'))
    vocab = {'<unk>': 0}
    for c in string.ascii_lowercase + string.digits + ".,-'&":
        vocab[c] = len(vocab)
        vocab[c + '</w>'] = len(vocab)
    json.dump(vocab, open(osp.join(folder, 'vocab.json'), 'w'))
    open(osp.join(folder, 'merges.txt'), 'w').write('#version: 0.2\n')
    tokenizer = OpenAIGPTTokenizer(
        osp.join(folder, 'vocab.json'), osp.join(folder, 'merges.txt'))
    assert tokenizer.pad_token is None
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    OpenAIGPTModel(
        OpenAIGPTConfig(
            vocab_size=len(vocab), n_positions=64, n_embd=16, n_layer=1,
            n_head=2)).save_pretrained(folder)
    return folder


@pytest.fixture(scope='session')
def tiny_bert(tmp_path_factory):
    """A 1-layer random BERT whose word-level vocabulary covers the
    synthetic (PA100K) pseudo-descriptions and attribute words, so every
    word is one token."""
    import re

    import numpy as np
    from transformers import BertConfig, BertModel, BertTokenizer

    from clear_mm.datasets import PA100K
    from clear_mm.datasets.synthetic.synthetic_pedestrians import ATTRIBUTES
    from clear_mm.structures.descriptions import PseudoDescriptionBuilder
    folder = str(tmp_path_factory.mktemp('tiny_bert'))
    builder = PseudoDescriptionBuilder(ATTRIBUTES,
                                       PA100K.METAINFO['descriptions'])
    vectors = np.random.default_rng(0).integers(0, 2, (400, len(ATTRIBUTES)))
    text = ' '.join(builder.batch(vectors) + builder.batch(vectors, 'words'))
    words = sorted(set(re.findall(r'\w+|[^\w\s]', text.lower())))
    with open(osp.join(folder, 'vocab.txt'), 'w') as f:
        f.write('\n'.join(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] +
                          words) + '\n')
    BertTokenizer(osp.join(folder, 'vocab.txt')).save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(
        BertConfig(
            vocab_size=len(words) + 5, hidden_size=16, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=80)).save_pretrained(folder)
    return folder


@pytest.fixture(scope='session')
def tiny_clip(tmp_path_factory):
    """A random 1-layer CLIP (32x32 input, patch 8) with a byte-level
    tokenizer without merges (one token per character), saved like a
    downloaded model folder."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
    folder = str(tmp_path_factory.mktemp('tiny_clip'))
    vocab = {}
    for special in ('<|startoftext|>', '<|endoftext|>'):
        vocab[special] = len(vocab)
    for c in sorted(ByteLevel.alphabet()):
        vocab[c] = len(vocab)
        vocab[c + '</w>'] = len(vocab)
    CLIPTokenizer(vocab=vocab, merges=[]).save_pretrained(folder)
    torch.manual_seed(0)
    CLIPModel(
        CLIPConfig(
            text_config=dict(
                vocab_size=len(vocab), hidden_size=32,
                intermediate_size=64, num_hidden_layers=1,
                num_attention_heads=2, max_position_embeddings=77,
                bos_token_id=vocab['<|startoftext|>'],
                eos_token_id=vocab['<|endoftext|>'],
                pad_token_id=vocab['<|endoftext|>']),
            vision_config=dict(
                hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                num_attention_heads=2, image_size=32, patch_size=8),
            projection_dim=16)).save_pretrained(folder)
    return folder
