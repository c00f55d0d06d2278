"""Pretrained initialisation through the configs' init path: random weights
written in each public source format are loaded by ``init_weights`` and
every tensor the mapping promises is checked against the source file."""
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.model import BaseModule
from mmengine.registry import DefaultScope
from safetensors.torch import load_file, save_file

from clear_mm.models.utils.pretrained import (check_pretrained,
                                              load_pretrained,
                                              pretrained_inits,
                                              pretrained_reports,
                                              remove_pretrained,
                                              use_random_weights,
                                              write_random_weights)
from clear_mm.registry import MODELS
from tests.utils import REPO


def config(name, **options):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    cfg.merge_from_dict(options)
    return cfg


def build_init(cfg):
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, dict(pretrained_reports(model))


@pytest.fixture(scope='module')
def weights_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp('public_weights'))


def source(weights_dir, name):
    path = osp.join(weights_dir, name)
    return load_file(path) if path.endswith('.safetensors') else torch.load(
        path, weights_only=True)


def test_clear_paper_preset_from_eva_l_and_swin_b(weights_dir):
    """par_pa100k.py: the ViT branch takes EVA-L/14's first 12 of 24 blocks
    (position embedding resampled 14x14 -> 18x9), the Swin branch Swin-B
    22k window 12 with stage 3's first 6 of 18 blocks; CASA fresh."""
    cfg = config('clear/par_pa100k.py')
    use_random_weights(cfg.model, weights_dir)
    model, reports = build_init(cfg)
    vit, swin = (reports['backbone.global_branch'],
                 reports['backbone.local_branch'])
    assert vit.ok and swin.ok
    # every ViT tensor but the final norm (EVA-L's follows block 24)
    assert len(vit.loaded) == 4 + 12 * 12 and vit.fresh == [
        'ln1.weight', 'ln1.bias'
    ]
    assert vit.taken_from_deeper == {'layers: 12 of 24 blocks': 12}
    assert len(vit.dropped["blocks beyond the target's depth"]) == 12 * 12
    assert all(k.startswith('casa.') for k in swin.fresh) and len(
        swin.fresh) == 4 * 6
    assert swin.taken_from_deeper == {'stages.2.blocks: 6 of 18 blocks': 6}

    eva = source(weights_dir, 'eva_large_patch14_196.in22k_ft_in1k'
                 '.safetensors')
    sw = source(weights_dir, 'swin_base_patch4_window12_384.ms_in22k'
                '.safetensors')
    # independent resampling: the class token as is, the 14x14 grid bicubic
    grid = eva['pos_embed'][:, 1:].reshape(1, 14, 14, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(18, 9), mode='bicubic',
                         align_corners=False)
    resampled = torch.cat(
        [eva['pos_embed'][:, :1], grid.flatten(2).transpose(1, 2)], dim=1)
    checked = every_tensor(
        model.backbone.global_branch, eva, [
            (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
            (r'^layers\.(\d+)\.ln1\.', r'blocks.\1.norm1.'),
            (r'^layers\.(\d+)\.ln2\.', r'blocks.\1.norm2.'),
            (r'^layers\.(\d+)\.attn\.', r'blocks.\1.attn.'),
            (r'^layers\.(\d+)\.ffn\.layers\.0\.0\.', r'blocks.\1.mlp.fc1.'),
            (r'^layers\.(\d+)\.ffn\.layers\.1\.', r'blocks.\1.mlp.fc2.'),
            (r'^(cls_token)$', r'\1'),
        ],
        fresh=r'^ln1\.',
        special={'pos_embed': resampled})
    assert checked == (4 + 12 * 12, 2)  # ln1 fresh

    def merging(x):
        """timm concatenates a patch merging's 2x2 neighbours as blocks
        (0,0), (1,0), (0,1), (1,1) of C channels; mmpretrain's unfold
        orders its 4C inputs channel-major, c * 4 + kh * 2 + kw."""
        c = x.shape[-1] // 4
        blocks = x.reshape(*x.shape[:-1], 4, c)[..., [0, 2, 1, 3], :]
        return blocks.transpose(-1, -2).reshape(x.shape)

    swin = model.backbone.local_branch
    special = {}
    for stage in range(3):  # timm keeps each merging in the next stage
        for name in ('norm.weight', 'norm.bias', 'reduction.weight'):
            special[f'stages.{stage}.downsample.{name}'] = merging(
                sw[f'layers.{stage + 1}.downsample.{name}'])
    checked = every_tensor(
        swin, sw, [
            (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
            (r'^patch_embed\.norm\.', 'patch_embed.norm.'),
            (r'^stages\.(\d+)\.blocks\.(\d+)\.attn\.w_msa\.'
             r'(?!relative_position_index)', r'layers.\1.blocks.\2.attn.'),
            (r'^stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.0\.0\.',
             r'layers.\1.blocks.\2.mlp.fc1.'),
            (r'^stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.1\.',
             r'layers.\1.blocks.\2.mlp.fc2.'),
            (r'^stages\.(\d+)\.blocks\.(\d+)\.norm(\d)\.',
             r'layers.\1.blocks.\2.norm\3.'),
            (r'^norm3\.', 'norm.'),
        ],
        fresh=r'^casa\.',
        special=special,
        # the relative position index is computed from the window size
        built=r'\.relative_position_index$')
    assert checked == (4 + 13 * (2 + 2 + 6 + 2) + 3 * 3 + 2, 4 * 6)


def every_tensor(module, src, rules, fresh=None, special=(), built=None):
    """Compare every tensor of ``module`` with the source file's tensor
    that ``rules`` (target -> source key regexes, written here, not the
    package's converters) name, or with ``special[key]`` (a tensor this
    test computed); keys matching ``fresh`` have no source (counted), those
    matching ``built`` equal a freshly built module's. Returns how many
    were compared with the source and how many are fresh."""
    import copy
    import re
    special = dict(special)
    rebuilt = copy.deepcopy(module).state_dict() if built else {}
    checked = fresh_count = 0
    for key, value in module.state_dict().items():
        if key in special:
            torch.testing.assert_close(value, special.pop(key), msg=key)
            checked += 1
        elif fresh and re.search(fresh, key):
            fresh_count += 1
        elif built and re.search(built, key):
            torch.testing.assert_close(value, rebuilt[key], msg=key)
        else:
            source_key = next((re.sub(p, r, key) for p, r in rules
                               if re.search(p, key)), None)
            assert source_key in src, f'{key}: no rule or no {source_key}'
            torch.testing.assert_close(value, src[source_key], msg=key)
            checked += 1
    assert not special, f'not in the model: {sorted(special)}'
    return checked, fresh_count


def test_resnet50_from_torchvision_not_reset_by_zero_init(weights_dir):
    """The multi-task model's ResNet-50 from torchvision's file: every
    tensor loaded (fc dropped), and mmpretrain's zero_init_residual does not
    run after the load (it would zero each block's last BN)."""
    cfg = config('multitask/baseline_par_r50_peta.py')
    use_random_weights(cfg.model, weights_dir)
    model, reports = build_init(cfg)
    report = reports['backbone']
    assert report.ok and not report.fresh and not report.computed
    assert len(report.loaded) == len(model.backbone.state_dict())
    assert report.dropped == {
        'the ImageNet classifier (fc)': ['fc.weight', 'fc.bias']
    }
    src = source(weights_dir, 'resnet50-0676ba61.pth')
    # torchvision's and mmpretrain's ResNet share their key names
    assert every_tensor(model.backbone, src,
                        [(r'^(.*)$', r'\1')]) == (len(src) - 2, 0)
    assert model.backbone.layer4[2].bn3.weight.abs().sum() > 0


def test_cerberus_branches_start_from_the_same_weights(weights_dir):
    cfg = config('cerberus/cerberus_market1501.py')
    use_random_weights(cfg.model, weights_dir)
    model, reports = build_init(cfg)
    assert reports['backbone'].ok
    src = source(weights_dir, 'resnet50-0676ba61.pth')
    torch.testing.assert_close(model.backbone.layer4[0].conv2.weight,
                               src['layer4.0.conv2.weight'])
    torch.testing.assert_close(model.local_tail[-1][0].conv2.weight,
                               src['layer4.0.conv2.weight'])


def test_pvt_v2_through_timm_backbone(weights_dir):
    cfg = config('multitask/baseline_par_pvtv2_peta.py')
    use_random_weights(cfg.model, weights_dir)
    model, reports = build_init(cfg)
    report = reports['backbone']
    assert report.ok and len(report.loaded) == len(
        model.backbone.state_dict())
    src = source(weights_dir, 'pvt_v2_b2.in1k.safetensors')
    # TIMMBackbone holds the timm model (features_only: stages_N)
    assert every_tensor(model.backbone, src, [
        (r'^timm_model\.stages_(\d+)\.', r'stages.\1.'),
        (r'^timm_model\.', ''),
    ]) == (len(src) - 2, 0)


def test_multitask_from_a_par_baseline_checkpoint(tmp_path):
    """Paper 004 starts the multi-task model from its PAR baseline: an
    MMPretrain checkpoint, its ``backbone.`` tensors."""
    baseline = MODELS.build(config('multitask/baseline_par_r50_peta.py',
                                   **{'model.backbone.init_cfg': None}).model)
    path = str(tmp_path / 'baseline.pth')
    torch.save({'state_dict': baseline.state_dict(), 'meta': {}}, path)
    cfg = config(
        'multitask/mtt_r50_peta.py', **{
            'model.backbone.init_cfg':
            dict(type='StrictPretrained', source='mmpretrain',
                 prefix='backbone.',
                 checkpoint=path)
        })
    model, reports = build_init(cfg)
    assert reports['backbone'].ok
    torch.testing.assert_close(model.backbone.layer2[1].conv1.weight,
                               baseline.backbone.layer2[1].conv1.weight)


def official_swin_layout(state):
    """timm's Swin keys -> the official repository's (patch merging at the
    end of each stage, as the official checkpoints store it)."""
    out = {}
    for k, v in state.items():
        m = re.match(r'layers\.(\d+)\.downsample\.(.*)', k)
        out[f'layers.{int(m.group(1)) - 1}.downsample.{m.group(2)}'
            if m else k] = v
    return {'model': out}


def test_official_swin_checkpoint_into_the_swin_ablation(
        tmp_path, weights_dir):
    """par_pa100k_swin.py (plain mmpretrain Swin) from a checkpoint in the
    official repository's layout: same tensors as from the timm file."""
    cfg = config('clear/par_pa100k_swin.py')
    use_random_weights(cfg.model, weights_dir)
    from_timm, reports = build_init(cfg)
    assert reports['backbone.local_branch'].ok
    timm_file = pretrained_inits(cfg.model)[0][1]['checkpoint']
    path = str(tmp_path / 'swin_official.pth')
    torch.save(official_swin_layout(load_file(timm_file)), path)
    cfg = config('clear/par_pa100k_swin.py', **{
        'model.backbone.local_branch.init_cfg':
        dict(type='StrictPretrained', source='swin', checkpoint=path, fresh=[])
    })
    from_official, reports = build_init(cfg)
    assert reports['backbone.local_branch'].ok
    a, b = (from_timm.backbone.local_branch.state_dict(),
            from_official.backbone.local_branch.state_dict())
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=key)


def test_a_mismatched_source_is_an_error_not_a_random_branch(
        tmp_path, weights_dir):
    """torchvision weights read as a timm ViT: mmengine's loader would load
    nothing and say so only in the log; this names what is missing."""
    vit = MODELS.build(
        dict(
            type='VisionTransformer',
            arch=dict(embed_dims=64, num_layers=2, num_heads=2,
                      feedforward_channels=128),
            img_size=(64, 32),
            patch_size=16))
    path = write_random_weights('torchvision/resnet50.IMAGENET1K_V1',
                                str(tmp_path / 'r50.pth'))
    with pytest.raises(ValueError, match=r'(?s)silently.*MISSING.*layers\.0'
                       r'.*UNEXPECTED.*conv1'):
        load_pretrained(vit, path, source='timm_vit')
    # a key-name mismatch inside an otherwise fitting file
    state = {k: v for k, v in vit.state_dict().items()}
    state['layers.1.attn.qkv_typo.weight'] = state.pop(
        'layers.1.attn.qkv.weight')
    save_file(state, str(tmp_path / 'typo.safetensors'))
    with pytest.raises(ValueError, match=r'(?s)MISSING: layers\.1.*'
                       r'UNEXPECTED: layers\.1'):
        load_pretrained(vit, str(tmp_path / 'typo.safetensors'))
    # a shape that cannot be resampled
    state = {k: v for k, v in vit.state_dict().items()}
    state['layers.0.attn.proj.weight'] = torch.zeros(64, 32)
    save_file(state, str(tmp_path / 'shape.safetensors'))
    with pytest.raises(ValueError, match='SHAPE MISMATCH layers.0.attn.proj'):
        load_pretrained(vit, str(tmp_path / 'shape.safetensors'))


def test_absent_weights_stop_the_run_with_where_to_get_them(
        monkeypatch, tmp_path):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('HF_HOME', str(tmp_path / 'hf'))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.chdir(tmp_path)
    cfg = config('clear/par_pa100k.py')
    with pytest.raises(FileNotFoundError) as e:
        check_pretrained(cfg.model)
    msg = str(e.value)
    assert 'model.backbone.global_branch.init_cfg' in msg
    assert 'checkpoints/eva_large_patch14_196.in22k_ft_in1k.safetensors' \
        in msg
    assert "'timm/eva_large_patch14_196.in22k_ft_in1k'" in msg
    assert '--from-scratch' in msg
    # and from init_weights, for a model built without tools/train.py
    with pytest.raises(FileNotFoundError, match='resnet50-0676ba61.pth'):
        build_init(config('cerberus/cerberus_market1501.py'))
    # the ViT-only ablation needs no Swin file
    vit_only = config('clear/par_pa100k_vit.py')
    assert [w for w, _ in pretrained_inits(vit_only.model)
            ] == ['model.backbone.global_branch.init_cfg']


def test_from_scratch_switch_and_resume_drop_pretrained_inits():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'train_tool', osp.join(REPO, 'tools', 'train.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = config('clear/par_pa100k.py')
    tool.prepare_pretrained(cfg, from_scratch=True)
    assert pretrained_inits(cfg.model) == []
    # the CASA-Swin and ViT fall back to their own initialisation
    assert 'init_cfg' not in cfg.model.backbone.global_branch
    cfg = config('asmr/asmr_pa100k.py', resume=True)
    tool.prepare_pretrained(cfg, from_scratch=False)  # no file needed
    assert pretrained_inits(cfg.model) == []
    cfg = config('cerberus/cerberus_market1501.py')
    assert remove_pretrained(cfg.model) == ['backbone.init_cfg']
    assert 'init_cfg' not in cfg.model.backbone


def test_retriever_with_a_recognition_checkpoint_skips_f_par_init():
    """f_par comes from par_checkpoint: its ImageNet files are not needed,
    at config check or at init_weights."""
    cfg = config('clear/ret_pa100k.py',
                 **{'model.par_checkpoint': 'par.pth'})
    assert pretrained_inits(cfg.model) == []
    cfg = config('clear/ret_pa100k.py')
    assert len(pretrained_inits(cfg.model)) == 2


def test_an_explicit_checkpoint_never_falls_back_to_the_public_file(
        monkeypatch, tmp_path):
    """`weights` + another `checkpoint` (e.g. a PAR baseline): when that
    file is absent the run stops; it does not load ImageNet instead."""
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    cfg = config(
        'multitask/mtt_r50_peta.py', **{
            'model.backbone.init_cfg.checkpoint': str(tmp_path / 'par.pth'),
            'model.backbone.init_cfg.prefix': 'backbone.'
        })
    with pytest.raises(FileNotFoundError) as e:
        check_pretrained(cfg.model)
    assert 'par.pth' in str(e.value) and 'download.pytorch' not in str(
        e.value)


class _Block(BaseModule):

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc = torch.nn.Linear(3, 3)


class _Net(BaseModule):
    """A child with an init of its own, and a post-initialisation that
    MMPretrain's backbones skip for a ``Pretrained`` init."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.block = _Block(dict(type='Constant', layer='Linear', val=5.))
        self.scale = torch.nn.Parameter(torch.ones(3))

    def init_weights(self):
        super().init_weights()
        if not (isinstance(self.init_cfg, dict)
                and self.init_cfg['type'] == 'Pretrained'):
            torch.nn.init.zeros_(self.scale)


def test_strict_pretrained_keeps_mmengines_order(tmp_path):
    """Under its own name, the load still comes after the children's own
    inits and the owner's post-initialisation is skipped, as for
    MMEngine's ``Pretrained``; an init after it is an error."""
    state = {k: torch.randn_like(v) for k, v in _Net().state_dict().items()}
    path = str(tmp_path / 'net.pth')
    torch.save(state, path)
    init = dict(type='StrictPretrained', source='mmpretrain', checkpoint=path)
    with DefaultScope.overwrite_default_scope('clear_mm'):
        net = _Net(init)
        net.init_weights()
        for key, value in state.items():
            torch.testing.assert_close(net.state_dict()[key], value)
        with pytest.raises(ValueError, match='after StrictPretrained'):
            _Net([init, dict(type='Constant', layer='Linear', val=1.)
                  ]).init_weights()
        # the class itself as the type, in a list: the same load
        from clear_mm.models.utils.pretrained import StrictPretrainedInit
        net = _Net([dict(init, type=StrictPretrainedInit)])
        net.init_weights()
        torch.testing.assert_close(net.block.fc.weight,
                                   state['block.fc.weight'])
    # MMEngine's own Pretrained, for comparison: the same order
    net = _Net(dict(type='Pretrained', checkpoint=path))
    net.init_weights()
    torch.testing.assert_close(net.block.fc.weight, state['block.fc.weight'])
