"""tools/misc/required_files.py and the checkpoints root: every outside
file of a config listed at once, where it must go and how to fetch it."""
import importlib.util
import os
import os.path as osp

import pytest
from mmengine.config import Config

from clear_mm.models.language.lm_encoder import resolve_model_path
from clear_mm.utils.checkpoints_root import (checkpoints_root, locate,
                                             set_checkpoints_root)
from clear_mm.utils.required_files import required_files
from tests.utils import REPO


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', *name.split('/')) + '.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def config(name, **options):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    cfg.merge_from_dict(options)
    return cfg


@pytest.fixture
def offline_root(monkeypatch, tmp_path):
    """An empty checkpoints root, no hub caches, a working directory that
    is not the repository."""
    root = tmp_path / 'weights'
    monkeypatch.setenv('CLEAR_MM_CHECKPOINTS', str(root))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('HF_HOME', str(tmp_path / 'hf'))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.chdir(tmp_path)
    yield root
    set_checkpoints_root(None)


def touch(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    open(path, 'w').close()


def test_root_from_env_then_config_then_repository(monkeypatch, tmp_path):
    monkeypatch.delenv('CLEAR_MM_CHECKPOINTS', raising=False)
    monkeypatch.chdir(tmp_path)
    set_checkpoints_root(None)
    # not relative to the working directory
    assert checkpoints_root() == osp.join(REPO, 'checkpoints')
    set_checkpoints_root(str(tmp_path / 'from_config'))
    assert locate('checkpoints/a.pth') == str(tmp_path / 'from_config/a.pth')
    monkeypatch.setenv('CLEAR_MM_CHECKPOINTS', str(tmp_path / 'env'))
    assert locate('checkpoints/a.pth') == str(tmp_path / 'env/a.pth')
    assert locate('/abs/a.pth') == '/abs/a.pth'
    assert locate('elsewhere/a.pth') == 'elsewhere/a.pth'
    set_checkpoints_root(None)


def test_every_absent_file_is_listed_not_only_the_first(
        offline_root, capsys):
    tool = load_tool('misc/required_files')
    configs = [
        osp.join(REPO, 'configs', c)
        for c in ('clear/par_pa100k.py', 'clear/ret_pa100k.py',
                  'clip/clip_zeroshot_pa100k_crop.py')
    ]
    assert tool.main(configs) == 1
    out = capsys.readouterr().out
    eva = offline_root / 'eva_large_patch14_196.in22k_ft_in1k.safetensors'
    swin = offline_root / 'swin_base_patch4_window12_384.ms_in22k.safetensors'
    for path in (eva, swin, offline_root / 'openai-gpt',
                 offline_root / 'clip-vit-base-patch16',
                 offline_root / 'maskrcnn_resnet50_fpn_coco.pth'):
        assert f'at {path}' in out
    assert out.count('[ABSENT]') == 2 + 3 + 2
    assert "hf_hub_download('timm/eva_large_patch14_196.in22k_ft_in1k'" in out
    assert "from_pretrained('openai-gpt')" in out
    assert "from_pretrained('openai/clip-vit-base-patch16')" in out
    assert 'maskrcnn_resnet50_fpn(weights=' in out
    # with the files in place: found, exit 0
    for path in (eva, swin, offline_root / 'maskrcnn_resnet50_fpn_coco.pth'):
        touch(str(path))
    for folder in ('openai-gpt', 'clip-vit-base-patch16'):
        (offline_root / folder).mkdir()
    assert tool.main(configs) == 0
    assert '[ABSENT]' not in capsys.readouterr().out
    # a hub-named language model is the folder under the root
    assert resolve_model_path('openai-gpt') == str(offline_root /
                                                   'openai-gpt')


def test_config_key_moves_the_root(monkeypatch, tmp_path):
    monkeypatch.delenv('CLEAR_MM_CHECKPOINTS', raising=False)
    monkeypatch.setenv('HF_HOME', str(tmp_path / 'hf'))
    cfg = config('multitask/mtt_r50_peta.py',
                 checkpoints_root=str(tmp_path / 'mine'))
    files = required_files(cfg)
    set_checkpoints_root(None)
    assert files[0].path == str(tmp_path / 'mine' / 'resnet50-0676ba61.pth')
    assert not files[0].found
    # a retrieval model's search may use the sentence model: optional
    assert files[-1].optional


def test_training_reports_every_absent_file_in_one_error(offline_root):
    train = load_tool('train')
    cfg = config('clear/ret_pa100k.py')
    with pytest.raises(FileNotFoundError) as e:
        train.prepare_pretrained(cfg, from_scratch=False)
    msg = str(e.value)
    assert 'eva_large_patch14_196' in msg and 'swin_base_patch4' in msg
    assert str(offline_root / 'openai-gpt') in msg
    # from a recognition checkpoint: f_par's weights are not needed, the
    # language model still is
    cfg = config('clear/ret_pa100k.py', model=dict(par_checkpoint='x.pth'))
    with pytest.raises(FileNotFoundError) as e:
        train.prepare_pretrained(cfg, from_scratch=False)
    assert 'openai-gpt' in str(e.value) and 'eva' not in str(e.value)
    # the synthetic configs need nothing from outside
    train.prepare_pretrained(config('clear/par_synthetic.py'), False)
