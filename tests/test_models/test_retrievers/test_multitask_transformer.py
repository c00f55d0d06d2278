"""Paper 004's multi-task transformer: shapes at the paper's configuration,
the loss composition, feedback weights, AAC proxies and a tiny model that
learns both tasks."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.structures import DataSample

from clear_mm.evaluation import AttrRetrievalMetric, PARMetric
from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import fit_toy, toy_batch


def tiny(num_attributes=3, **kwargs):
    cfg = dict(
        type='MultiTaskAttributeTransformer',
        backbone=dict(type='ResNet', depth=18, base_channels=16,
                      stem_channels=16, strides=(1, 2, 2, 1),
                      out_indices=(3, )),
        transformer=dict(type='AttributeTokenTransformer', in_channels=128,
                         feat_size=(8, 4), embed_dims=48, num_layers=1,
                         num_heads=4),
        head=dict(type='AttributeTokenHead', num_classes=num_attributes,
                  in_channels=48,
                  loss=dict(type='WeightedBCELoss',
                            pos_ratio=[0.5] * num_attributes)),
        embed_dims=16,
        encoder_channels=(32, 16),
        data_preprocessor=dict(mean=[120] * 3, std=[30] * 3))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def samples_of(labels):
    return [DataSample().set_gt_score(torch.as_tensor(y)) for y in labels]


def test_paper_configuration():
    """mtt_r50_peta.py: ResNet-50 -> 8 visual tokens + 35 attribute tokens
    (d = 384) -> 35 scores and a 128-d embedding; attribute encoder
    35 -> 512 -> 128 -> 128."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'multitask', 'mtt_r50_peta.py'))
    model = MODELS.build(cfg.model)
    enc = [m for m in model.attr_encoder.layers if hasattr(m, 'weight')]
    assert [tuple(m.weight.shape) for m in enc] == [(512, 35), (128, 512),
                                                    (128, 128)]
    model.eval()
    with torch.no_grad():
        visual, attrs = model.extract_feat(torch.randn(1, 3, 256, 128))
        assert visual.shape == (1, 8, 384) and attrs.shape == (1, 35, 384)
        preds = model.predict(torch.randn(2, 3, 256, 128))
        queries = model.encode_queries(np.eye(35, dtype=int)[:4])
    assert preds[0].pred_score.shape == (35, )
    assert preds[0].pred_embedding.shape == (128, )
    assert queries.shape == (4, 128)


def test_loss_is_par_plus_ma_plus_asmr():
    torch.manual_seed(0)
    model = tiny(regularizer=dict(type='ASMRLoss', num_groups=2),
                 ma_weight=0.5)
    labels = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 1], [1, 0, 0]])
    model.set_dataset_meta(dict(
        attributes=['a', 'b', 'c'],
        attribute_groups={'g1': ['a', 'b'], 'g2': ['c']},
        train_labels=labels))
    assert len(model.train_attrs) == 3
    x = torch.randn(4, 3, 128, 64)
    samples = samples_of(labels)
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_par', 'loss_ma', 'loss_reg', 'image_cos'}
    # each term by hand from the features: the weighted BCE of Li et al.
    # (pos ratio 0.5: weights e^0.5), the angular margin loss (scale s,
    # margin m on the target's angle) at weight 0.5, and ASMR's loss of
    # the proxies (a fresh instance of the loss, tested on its own)
    from clear_mm.models.losses import ASMRLoss
    with torch.no_grad():
        visual, tokens = model.extract_feat(x)
        logits = model.head(tokens)
        y = labels.float()
        bce = -(y * F.logsigmoid(logits) + (1 - y) * F.logsigmoid(-logits))
        torch.testing.assert_close(losses['loss_par'],
                                   (np.exp(0.5) * bce).sum() / 4)
        proxies = model.attr_encoder(model.train_attrs.float())
        # the training combination of each image (rows of train_attrs)
        target = torch.tensor([
            next(i for i, row in enumerate(model.train_attrs.tolist())
                 if row == y_i) for y_i in labels.tolist()
        ])
        emb = model.image_embedding(visual, tokens)
        cos = F.normalize(emb, dim=1) @ F.normalize(proxies, dim=1).T
        s, m = model.ma_loss.scale, model.ma_loss.margin
        angle = torch.acos(cos.clamp(-1, 1)).gather(1, target[:, None])
        cos = cos.scatter(1, target[:, None], torch.cos(angle + m))
        ma = F.cross_entropy(s * cos, target)
        torch.testing.assert_close(losses['loss_ma'], 0.5 * ma, rtol=1e-4,
                                   atol=1e-5)
        asmr = ASMRLoss(num_groups=2)
        asmr.set_groups(['a', 'b', 'c'], {'g1': ['a', 'b'], 'g2': ['c']})
        torch.testing.assert_close(losses['loss_reg'],
                                   asmr(proxies, model.train_attrs))


def test_feedback_weights_and_use():
    model = tiny(feedback=dict(tasks=('par', ), strength=0.5))
    w = model.feedback_weights(torch.tensor([1.0, 3.0]))
    torch.testing.assert_close(w, torch.tensor([0.75, 1.25]))  # mean 1
    torch.testing.assert_close(
        model.feedback_weights(torch.zeros(3)), torch.ones(3))

    torch.manual_seed(0)
    labels = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 1]])
    model.set_train_combinations(labels)
    x, samples = torch.randn(3, 3, 128, 64), samples_of(labels)
    model.eval()  # no BatchNorm updates: both passes see the same model
    losses = model.loss(x, samples)
    visual, tokens = model.extract_feat(x)
    proxies = model.attr_encoder(model.train_attrs.float())
    per_ma = model.ma_loss(model.image_embedding(visual, tokens), proxies,
                           model.targets(samples), reduction_override='none')
    # PAR feedback: the PAR loss weighted by the MA loss, MA unweighted
    expected = model.head.loss(
        tokens, samples, sample_weight=model.feedback_weights(per_ma))
    torch.testing.assert_close(losses['loss_par'], expected['loss'])
    torch.testing.assert_close(losses['loss_ma'], per_ma.mean())

    model.feedback_tasks = ('ma', )
    losses = model.loss(x, samples)
    per_par = F.binary_cross_entropy_with_logits(
        model.head(tokens), labels.float(), reduction='none').sum(1)
    torch.testing.assert_close(
        losses['loss_ma'], (model.feedback_weights(per_par) * per_ma).mean())
    torch.testing.assert_close(losses['loss_par'],
                               model.head.loss(tokens, samples)['loss'])


def test_bad_feedback_and_sizes():
    with pytest.raises(ValueError, match='feedback.tasks'):
        tiny(feedback=dict(tasks=('reid', )))
    with pytest.raises(ValueError, match='strength'):
        tiny(feedback=dict(tasks=('ma', ), strength=2))
    with pytest.raises(ValueError, match='num_attributes'):
        tiny(transformer=dict(type='AttributeTokenTransformer',
                              in_channels=128, num_attributes=4,
                              embed_dims=48, num_heads=4))
    model = tiny()
    with pytest.raises(ValueError, match='built for 3 attributes'):
        model.set_dataset_meta(dict(attributes=['a', 'b']))
    with pytest.raises(RuntimeError, match='DatasetMetaHook'):
        model.loss(torch.randn(1, 3, 128, 64), samples_of([[0, 1, 0]]))


def test_aac_adds_valid_proxies():
    attrs = ['young', 'old', 'hat', 'bag']
    groups = dict(age=['young', 'old'], hat=['hat'], bag=['bag'])
    model = tiny(4, extra_combinations=dict(
        rules=dict(age='one'), num=None))
    model.set_dataset_meta(dict(attributes=attrs, attribute_groups=groups,
                                train_labels=[[1, 0, 0, 0], [0, 1, 1, 1]]))
    # each training vector: the other age, hat flipped, bag flipped
    assert len(model.train_attrs) == 2 + 6
    proxies = model.train_attrs.numpy()
    assert (proxies[:, :2].sum(1) == 1).all()
    assert len(np.unique(proxies, axis=0)) == len(proxies)
    # the rules come from the dataset's schema; none declared is an error
    from_meta = tiny(4, extra_combinations=dict(num=None))
    from_meta.set_dataset_meta(dict(
        attributes=attrs, attribute_groups=groups,
        exclusion_rules=dict(age='one'),
        train_labels=[[1, 0, 0, 0], [0, 1, 1, 1]]))
    assert torch.equal(from_meta.train_attrs, model.train_attrs)
    with pytest.raises(ValueError, match="exclusion_rules"):
        tiny(4, extra_combinations=dict(num=None)).set_dataset_meta(dict(
            attributes=attrs, attribute_groups=groups,
            train_labels=[[1, 0, 0, 0]]))


def test_tiny_model_learns_both_tasks():
    """Three visible attributes: held-out mA > 0.9 and the fused retrieval
    finds the right combination first for most queries."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = tiny(regularizer=dict(type='ASMRLoss', num_groups=3))
    model.set_dataset_meta(dict(
        attributes=['a', 'b', 'c'],
        attribute_groups={'g1': ['a'], 'g2': ['b'], 'g3': ['c']},
        train_labels=np.array([[i >> 2 & 1, i >> 1 & 1, i & 1]
                               for i in range(8)])))
    losses = fit_toy(model, 120, rng)
    model.eval()
    imgs, samples, labels = toy_batch(np.random.default_rng(1), 64)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples))
        preds = model(**data, mode='predict')
        queries = np.unique(labels, axis=0)
        query_emb = model.encode_queries(queries)
    scores = torch.stack([p.pred_score for p in preds])
    emb = torch.stack([p.pred_embedding for p in preds])
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])
    assert PARMetric.calculate(scores.numpy(), labels)['mA'] > 0.9
    fused = AttrRetrievalMetric.calculate_scores(
        AttrRetrievalMetric.fused_scores(query_emb, emb, queries, scores,
                                         0.2), queries, labels)
    assert fused['R1'] > 80 and fused['mAP'] > 60


def test_mean_pairwise_cosine_against_loop():
    from clear_mm.models.retrievers.multitask_transformer import \
        mean_pairwise_cosine
    emb = torch.randn(7, 5)
    ref = np.mean([
        F.cosine_similarity(emb[i], emb[j], dim=0).item() for i in range(7)
        for j in range(7) if i != j
    ])
    assert float(mean_pairwise_cosine(emb)) == pytest.approx(ref, abs=1e-6)
    same = torch.randn(1, 5).repeat(4, 1) * torch.tensor([[1.], [2.], [3.],
                                                          [.5]])
    assert float(mean_pairwise_cosine(same)) == pytest.approx(1.0)
    assert float(mean_pairwise_cosine(emb[:1])) == 0.0


def _align_offset_features(bnneck: bool, steps: int = 300) -> tuple:
    """Train the model's own image_neck + image_fc + attribute encoder with
    its MA loss on pooled token features shaped like the real ones: a large
    image-independent offset (|mean| ~0.7 per dimension) plus a small
    attribute signal (std ~0.14). Returns the mean MA loss of the first 10
    and last 20 steps."""
    torch.manual_seed(0)
    num_attrs, dims = 6, 48
    model = tiny(num_attrs, bnneck=bnneck)
    combos = np.array([[i >> k & 1 for k in range(num_attrs)]
                       for i in range(2**num_attrs)])
    model.set_train_combinations(combos)
    gen = torch.Generator().manual_seed(1)
    offset = 0.7 * torch.randn(dims, generator=gen)
    proj = torch.randn(num_attrs, dims, generator=gen)
    params = [
        *model.image_neck.parameters(), *model.image_fc.parameters(),
        *model.attr_encoder.parameters()
    ]
    optim = torch.optim.AdamW(params, lr=5e-4)
    model.train()
    history = []
    for _ in range(steps):
        target = torch.randint(0, len(combos), (32, ))
        signal = (torch.as_tensor(combos)[target].float() @ proj -
                  proj.sum(0) / 2) / 2
        feats = offset + 0.14 * signal + 0.05 * torch.randn(32, dims)
        emb = model.image_embedding(feats[:, None].expand(32, 4, dims), None)
        loss = model.ma_loss(emb, model.attr_encoder(
            model.train_attrs.float()), target)
        optim.zero_grad()
        loss.backward()
        optim.step()
        history.append(loss.item())
    return np.mean(history[:10]), np.mean(history[-20:])


def test_bnneck_lets_alignment_learn_on_offset_features():
    """The cause of the multi-task model's collapsed embedding (issue 15):
    with the paper's bare FC the MA loss stays near log(64) = 4.2 on
    features with a shared offset; the BNNeck standardises them and the
    loss falls far below it."""
    _, bare = _align_offset_features(bnneck=False)
    _, bnneck = _align_offset_features(bnneck=True)
    assert bare > np.log(64) - 0.5
    assert bnneck < 1.5 and bnneck < 0.4 * bare
    model = tiny(bnneck=True)
    assert isinstance(model.image_neck, torch.nn.BatchNorm1d)
    assert not model.image_neck.bias.requires_grad
    assert isinstance(tiny(bnneck=False).image_neck, torch.nn.Identity)
