"""AttributeRetriever: shapes at the tiny configuration, frozen f_par, the
E^v split, query encoding, and a run where the adapters really learn."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from clear_mm.datasets.synthetic.synthetic_pedestrians import ATTRIBUTES
from clear_mm.evaluation.metrics import AttrRetrievalMetric
from clear_mm.models.retrievers import RetrievalAdapter
from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import synthetic_meta

PAR_CONFIG = f'{REPO}/configs/clear/par_synthetic.py'


def build(lm_folder, tmp_path, num_tokens=12, meta=True, **kwargs):
    par_model = Config.fromfile(PAR_CONFIG).model
    torch.manual_seed(0)
    par = MODELS.build(par_model)
    ckpt = str(tmp_path / 'par.pth')
    torch.save({'state_dict': par.state_dict()}, ckpt)
    cfg = dict(
        type='AttributeRetriever',
        par_model=par_model,
        par_checkpoint=ckpt,
        embed_dims=16,
        hidden_channels=32,
        language_model=dict(
            type='LanguageModelEncoder',
            name_or_path=lm_folder,
            num_tokens=num_tokens,
            cache_dir=str(tmp_path / 'lm')),
        data_preprocessor=dict(
            mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    if meta:
        model.set_dataset_meta(synthetic_meta())
    return model, par


def samples(attrs):
    return [DataSample().set_gt_score(torch.as_tensor(a)) for a in attrs]


def test_adapter_layers():
    torch.manual_seed(0)
    adapter = RetrievalAdapter(10, 4, hidden_channels=(8, 6))
    kinds = [type(m).__name__ for m in adapter.layers]
    assert kinds == ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']
    assert adapter(torch.randn(3, 10)).shape == (3, 4)
    # no ReLU after the last layer: outputs can be negative
    assert (adapter(torch.randn(50, 10)) < 0).any()
    with pytest.raises(ValueError, match='expects 10 input features'):
        adapter(torch.randn(3, 9))


def test_shapes_frozen_par_and_split(tiny_gpt, tmp_path):
    model, par = build(tiny_gpt, tmp_path)
    # f_par loaded from the recognition checkpoint and frozen
    for (name, p), q in zip(model.par_model.state_dict().items(),
                            par.state_dict().values()):
        torch.testing.assert_close(p, q, msg=name)
    assert not any(p.requires_grad for p in model.par_model.parameters())
    model.train()
    assert not model.par_model.training
    # the language model is not part of the state dict
    assert not any('language' in k for k in model.state_dict())

    rng = np.random.default_rng(0)
    attrs = rng.integers(0, 2, (6, 26))
    model.set_train_combinations(attrs)
    images = torch.rand(4, 3, 128, 64) * 255
    data = model.data_preprocessor(
        dict(inputs=list(images), data_samples=samples(attrs[:4])), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_hard', 'loss_soft'}
    # Eq. 10: the hard term only depends on the first half of E^v
    last = model.vis_adapter.layers[-1]
    model.zero_grad()
    losses['loss_hard'].backward(retain_graph=True)
    assert last.weight.grad[16:].abs().sum() == 0
    assert last.weight.grad[:16].abs().sum() > 0
    model.zero_grad()
    losses['loss_soft'].backward()
    assert last.weight.grad[:16].abs().sum() == 0
    assert all(p.grad is None for p in model.par_model.parameters())

    model.eval()
    out = model(**data, mode='predict')
    assert out[0].pred_embedding.shape == (32, )
    queries = model.encode_queries(attrs)
    assert queries.shape == (6, 32)
    with pytest.raises(ValueError, match=r'\(N, 26\)'):
        model.encode_queries(attrs[:, :25])
    with pytest.raises(ValueError, match='0/1'):
        model.encode_queries(attrs * 2)
    # checked as given, before any cast: 0.5 is not a 0
    half = attrs.astype(float)
    half[2, ATTRIBUTES.index('Hat')] = 0.5
    with pytest.raises(ValueError, match=r"row 2, Hat: 0\.5 \(1 invalid"):
        model.encode_queries(half)
    with pytest.raises(ValueError, match='nan'):
        model.encode_queries(torch.full((1, 26), float('nan')))
    with pytest.raises(ValueError, match=r'no queries.*\(0, 26\)'):
        model.encode_queries(np.zeros((0, 26)))
    # an all-zero row is a query for a person with none of the attributes
    assert model.encode_queries(np.zeros((1, 26))).shape == (1, 32)


def test_training_vector_must_be_known(tiny_gpt, tmp_path):
    model, _ = build(tiny_gpt, tmp_path, query_forms=('hard', ))
    feats = torch.randn(2, 256)
    with pytest.raises(RuntimeError, match='DatasetMetaHook'):
        model.loss(feats, samples(np.zeros((2, 26), int)), is_feature=True)
    with pytest.raises(ValueError, match='0/1 vectors'):
        model.set_train_combinations(np.full((1, 26), 2))
    model.set_train_combinations(np.zeros((1, 26), int))
    with pytest.raises(ValueError, match='not among the training'):
        model.loss(feats, samples(np.ones((2, 26), int)), is_feature=True)


@pytest.mark.parametrize('forms', [('hard', ), ('words', ), ('soft', ),
                                   ('hard', 'soft')])
def test_adapters_learn_on_cached_features(tiny_bert, tmp_path, forms):
    """Features that carry the attributes (a random linear map plus noise):
    margin learning must lift retrieval far above its initial value, in
    every query form (the text forms through a random 1-layer BERT whose
    word-level vocabulary covers the sentences)."""
    model, _ = build(tiny_bert, tmp_path, num_tokens=64, query_forms=forms)
    rng = np.random.default_rng(0)
    # 12 attribute combinations, 20 noisy images each
    combos = np.unique(rng.integers(0, 2, (12, 26)), axis=0)
    attrs = np.repeat(combos, 20, axis=0)
    mix = torch.from_numpy(rng.normal(size=(26, 256))).float()
    feats = torch.from_numpy(attrs).float() @ mix
    feats += 0.5 * torch.randn_like(feats)
    model.set_train_combinations(attrs)

    def evaluate():
        model.eval()
        with torch.no_grad():
            res = AttrRetrievalMetric.calculate(
                model.encode_queries(combos),
                model.embed_images(feats, is_feature=True),
                combos, attrs)
        model.train()
        return res['mAP']

    before = evaluate()
    opt = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    torch.manual_seed(0)
    for _ in range(60):
        idx = torch.randperm(len(feats))[:48]
        loss = sum(model.loss(feats[idx], samples(attrs[idx]),
                              is_feature=True).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = evaluate()
    assert after > 90 and after > before + 30, (before, after)


def test_asmr_retriever_trains_f_par_with_regularizer(tmp_path):
    """ASMRRetriever (the ASMR baseline): hard queries only, f_par trained
    end to end by default, the ASMR regularizer on the attribute
    embeddings of all combinations; text-query arguments are refused."""
    par_model = Config.fromfile(PAR_CONFIG).model
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='ASMRRetriever', par_model=par_model,
             hidden_channels=(32, 16)))
    model.set_dataset_meta(synthetic_meta())
    assert model.query_forms == ('hard', ) and model.freeze_par is False
    assert model.language_model is None
    assert type(model.regularizer).__name__ == 'ASMRLoss'
    assert model.regularizer.num_groups == 10
    attrs = np.random.default_rng(0).integers(0, 2, (5, 26))
    model.set_train_combinations(attrs)
    model.train()
    assert model.par_model.training
    data = model.data_preprocessor(
        dict(inputs=list(torch.rand(2, 3, 128, 64) * 255),
             data_samples=samples(attrs[:2])), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_hard', 'loss_reg'}
    sum(losses.values()).backward()
    grads = [p.grad for p in model.par_model.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.abs().sum() > 0 for g in grads)
    assert model.regularizer.group_logits.grad is not None
    with pytest.raises(ValueError, match=r"\['language_model', 'query_"):
        MODELS.build(dict(type='ASMRRetriever', par_model=par_model,
                          query_forms=('soft', ), language_model=dict()))
    with pytest.raises(ValueError, match='needs its regularizer'):
        MODELS.build(dict(type='ASMRRetriever', par_model=par_model,
                          regularizer=None))


def test_regularizer_needs_hard_queries(tiny_gpt, tmp_path):
    with pytest.raises(ValueError, match="add 'hard'"):
        build(tiny_gpt, tmp_path, query_forms=('soft', ),
              regularizer=dict(type='ASMRLoss', num_groups=10))


def test_aac_adds_proxies(tiny_gpt, tmp_path):
    model, _ = build(tiny_gpt, tmp_path, query_forms=('hard', ),
                     extra_combinations=dict(num=20, seed=0), meta=False)
    rng = np.random.default_rng(0)
    attrs = np.zeros((4, 26), dtype=np.int64)
    attrs[:, ATTRIBUTES.index('Age18-60')] = 1
    attrs[:, ATTRIBUTES.index('Front')] = 1
    attrs[:, ATTRIBUTES.index('LongSleeve')] = 1
    attrs[:, [ATTRIBUTES.index('Hat'), ATTRIBUTES.index('Backpack')]] = \
        rng.integers(0, 2, (4, 2))
    with pytest.raises(RuntimeError, match='attribute groups'):
        model.set_train_combinations(attrs)
    model.set_dataset_meta(synthetic_meta(train_labels=attrs))
    real = len(np.unique(attrs, axis=0))
    assert len(model.train_attrs) == real + 20
    assert model.known_combinations(attrs).all()
    # training images still map to their own (real) combination
    losses = model.loss(torch.randn(4, 256), samples(attrs), is_feature=True)
    assert torch.isfinite(losses['loss_hard'])


def test_checkpoint_carries_schema_and_proxies(tiny_gpt, tmp_path):
    """A trained retriever's state dict holds its schema and proxies: a
    fresh model loading it encodes the same text queries and trains on the
    same proxies without ever seeing the dataset."""
    from mmengine.runner.checkpoint import load_checkpoint
    model, _ = build(tiny_gpt, tmp_path)
    attrs = np.random.default_rng(0).integers(0, 2, (7, 26))
    model.set_dataset_meta(synthetic_meta(train_labels=attrs))
    ckpt = str(tmp_path / 'ret.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)

    fresh, _ = build(tiny_gpt, tmp_path, meta=False)
    assert fresh.schema is None and len(fresh.train_attrs) == 0
    load_checkpoint(fresh, ckpt, map_location='cpu', strict=True)
    assert fresh.attributes == list(ATTRIBUTES)
    assert torch.equal(fresh.train_attrs, model.train_attrs)
    assert len(fresh.train_attrs) == len(np.unique(attrs, axis=0))
    model.eval(), fresh.eval()
    torch.testing.assert_close(fresh.encode_queries(attrs),
                               model.encode_queries(attrs))
    # evaluation data must have the model's attributes
    other = synthetic_meta(attributes=list(ATTRIBUTES[1:]) + ['Extra'])
    with pytest.raises(ValueError, match='was trained on the attributes'):
        fresh.set_dataset_meta(other)


def test_user_dataset_with_its_own_description_table(tiny_gpt, tmp_path):
    """A dataset no table knows: its metainfo declares none, and the model
    config's description=dict(table=...) describes its attributes."""
    names = [f'thing_{i}' for i in range(26)]
    table = {n: ('accessory', f'a {n}', f'no {n}') for n in names}
    meta = dict(attributes=names, attribute_groups={})
    model, _ = build(tiny_gpt, tmp_path, meta=False)
    with pytest.raises(KeyError, match="metainfo\\['descriptions'\\]"):
        model.set_dataset_meta(meta)
    model, _ = build(tiny_gpt, tmp_path, meta=False,
                     description=dict(table=table))
    model.set_dataset_meta(meta)
    v = np.zeros(26, int)
    v[3] = 1
    # what is worn first, then what is not
    assert model.builder(v).startswith(
        'This is a photo of a person, is wearing a thing_3 and no thing_0 '
        'and no thing_1 and no thing_2 and no thing_4')
    model.eval()
    assert model.encode_queries(v[None]).shape == (1, 32)
    with pytest.raises(ValueError, match="only key is 'table'"):
        build(tiny_gpt, tmp_path, description=dict(dataset='PA100K'))


def test_feature_batches_are_explicit():
    """Cached features say they are features: the preprocessor stacks them
    and the model skips f_par; images go through f_par whatever their
    shape; a mixed batch is an error."""
    from mmengine.dataset import pseudo_collate

    from clear_mm.datasets import CachedFeatureDataset
    from clear_mm.models import RetrievalDataPreprocessor
    feats = torch.randn(4, 256)
    ds = CachedFeatureDataset(feats, torch.zeros(4, 26, dtype=torch.long))
    pre = RetrievalDataPreprocessor(mean=[0.0] * 3, std=[2.0] * 3)
    data = pre(pseudo_collate([ds[i] for i in range(4)]), True)
    assert data['is_feature'] is True
    torch.testing.assert_close(data['inputs'], feats)  # not normalised
    images = pre(dict(inputs=[torch.full((3, 8, 4), 4.0)]), False)
    assert 'is_feature' not in images
    torch.testing.assert_close(images['inputs'], torch.full((1, 3, 8, 4),
                                                            2.0))
    mixed = pseudo_collate([ds[0], ds[1]])
    mixed['is_feature'] = [True, False]
    with pytest.raises(ValueError, match='mixes'):
        pre(mixed, True)
    with pytest.raises(ValueError, match='N label rows'):
        CachedFeatureDataset(feats, torch.zeros(3, 26))


def test_par_checkpoint_of_another_model_is_refused(tiny_gpt, tmp_path):
    par_model = Config.fromfile(PAR_CONFIG).model
    par = MODELS.build(par_model)
    state = {k: v[:25] if k.startswith('head.') else v
             for k, v in par.state_dict().items()}
    ckpt = str(tmp_path / 'par25.pth')
    torch.save({'state_dict': state}, ckpt)
    model = MODELS.build(dict(type='AttributeRetriever', par_model=par_model,
                              par_checkpoint=ckpt, query_forms=('hard', )))
    with pytest.raises(ValueError, match=r'par_checkpoint .*par25\.pth does '
                       r'not fit.*head\.fc\.weight \(25, 256\) vs '
                       r'\(26, 256\)'):
        model.init_weights()


def test_par_checkpoint_replaces_f_par_pretrained_init(tiny_gpt, tmp_path):
    """f_par comes from par_checkpoint: a pretrained init in its config
    (the real-data configs have one) is not run, so its absent file is no
    error, and f_par equals the checkpoint."""
    par_model = Config.fromfile(PAR_CONFIG).model
    par_model.backbone.global_branch = dict(init_cfg=dict(
        type='StrictPretrained',
        checkpoint=str(tmp_path / 'absent.safetensors'),
        source='timm_vit'))
    torch.manual_seed(0)
    par = MODELS.build(par_model)
    ckpt = str(tmp_path / 'par.pth')
    torch.save({'state_dict': par.state_dict()}, ckpt)
    model = MODELS.build(dict(type='AttributeRetriever', par_model=par_model,
                              par_checkpoint=ckpt, query_forms=('hard', )))
    model.init_weights()
    for key, value in par.state_dict().items():
        torch.testing.assert_close(model.par_model.state_dict()[key], value)
    # without par_checkpoint the pretrained init runs (and needs its file)
    model = MODELS.build(dict(type='AttributeRetriever', par_model=par_model,
                              query_forms=('hard', )))
    with pytest.raises(FileNotFoundError, match='absent.safetensors'):
        model.init_weights()
