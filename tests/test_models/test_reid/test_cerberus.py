"""Cerberus (paper 003): alignment module, part pooling, the paper's model
size, losses wired to SIDs, APS with partial queries, PAR by the nearest
prototype and prototypes of unseen SIDs."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from clear_mm.models import align_feature_map, part_average_pool
from clear_mm.registry import MODELS
from clear_mm.structures.semantic_ids import SemanticIDs

ATTRS = ['hat', 'red_top', 'short_lower', 'female', 'old', 'bag']
GROUPS = dict(head=['hat'], upper=['red_top'], lower=['short_lower'],
              identity=['female', 'old'], carrying=['bag'])
# four persons; identity SIDs seen: (0,0), (0,1), (1,0) -- not (1,1)
PERSONS = np.array([[0, 1, 0, 0, 0, 1], [1, 0, 1, 0, 1, 0],
                    [0, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1]])


def test_alignment_crops_rows_above_sigma():
    feat = torch.zeros(1, 2, 6, 3)
    feat[0, 0, 2:5, 1] = 10.0  # the person: rows 2..4
    out = align_feature_map(feat, sigma=5.0)
    expected = F.interpolate(feat[:, :, 2:5], size=(6, 3), mode='bilinear',
                             align_corners=False)
    torch.testing.assert_close(out, expected)
    # nothing above sigma, or the person fills the map: unchanged
    torch.testing.assert_close(align_feature_map(feat, 50.0), feat)
    full = torch.full((1, 2, 6, 3), 10.0)
    torch.testing.assert_close(align_feature_map(full, 5.0), full)


def test_alignment_of_a_batch_is_each_image_cropped_and_resized():
    """Images with different person rows (one without any, one filling the
    map): the batched alignment equals cropping each image to its rows
    above sigma and resizing them with F.interpolate, one by one."""
    torch.manual_seed(0)
    feat = torch.rand(5, 4, 16, 8)
    for i, (top, bottom) in enumerate([(3, 11), (0, 16), (5, 6), (0, 0),
                                       (9, 16)]):
        feat[i, :, top:bottom] += 20.0
    out = align_feature_map(feat, sigma=15.0)
    for i, (top, bottom) in enumerate([(3, 11), (0, 16), (5, 6), (0, 16),
                                       (9, 16)]):
        expected = F.interpolate(feat[i:i + 1, :, top:bottom],
                                 size=(16, 8), mode='bilinear',
                                 align_corners=False)
        torch.testing.assert_close(out[i:i + 1], expected)


def test_part_average_pool_top_middle_bottom():
    feat = torch.arange(6.0).view(1, 1, 6, 1).expand(1, 2, 6, 4)
    top, middle, bottom = part_average_pool(feat, 3)
    assert top.tolist() == [[0.5, 0.5]] and bottom.tolist() == [[4.5, 4.5]]
    assert middle.tolist() == [[2.5, 2.5]]
    # stripes that do not divide the height: adaptive average pooling's
    feat = torch.rand(2, 3, 8, 4)
    pooled = F.adaptive_avg_pool2d(feat, (3, 1)).flatten(2)
    for i, part in enumerate(part_average_pool(feat, 3)):
        torch.testing.assert_close(part, pooled[:, :, i])


def test_paper_model_size_and_map_size():
    """ResNet-50 cut at conv4_1, tail duplicated, d = 512: 49.3 M
    parameters without the identity classifiers (the paper's count);
    24 x 8 maps at 384 x 128."""
    model = MODELS.build(dict(
        type='Cerberus',
        backbone=dict(type='ResNet', depth=50, strides=(1, 2, 2, 1),
                      out_indices=(3, )),
        num_attributes=30, num_sids=[4, 16, 34, 8, 4], num_ids=751))
    # without the identity classifiers and the regularizer's residuals
    total = sum(p.numel() for n, p in model.named_parameters()
                if not n.startswith(('id_classifiers', 'regularizer')))
    assert total / 1e6 == pytest.approx(49.3, abs=0.05)
    model.init_weights()
    for p, q in zip(model.local_tail.parameters(),
                    model._global_tail().parameters()):
        torch.testing.assert_close(p, q)  # same start, separate weights
        assert p.data_ptr() != q.data_ptr()
    with torch.no_grad():
        shared = model._shared(torch.randn(1, 3, 384, 128))
        assert model._global_tail()(shared).shape == (1, 2048, 24, 8)


def tiny(num_ids=4, **kwargs):
    model = MODELS.build(dict(
        type='Cerberus',
        backbone=dict(type='ResNet', depth=18, base_channels=8,
                      stem_channels=8, strides=(1, 2, 2, 1),
                      out_indices=(3, )),
        num_attributes=6, num_sids=[2, 2, 2, 3, 2], num_ids=num_ids,
        embed_dims=16,
        sigma=0.0, **kwargs))
    model.init_weights()
    return model


def meta(labels=PERSONS, person_ids=(11, 22, 33, 44)):
    """A training set's meta: one image per person."""
    return dict(attributes=ATTRS, sid_groups=GROUPS, train_labels=labels,
                person_ids=np.array(person_ids))


def bound():
    model = tiny()
    model.set_dataset_meta(meta())
    return model, SemanticIDs(ATTRS, GROUPS, PERSONS)


def test_dataset_meta_checks_sizes():
    model = tiny(num_ids=3)
    with pytest.raises(ValueError, match='num_ids=4'):
        model.set_dataset_meta(meta())
    with pytest.raises(ValueError, match=r'num_sids=\[2, 2, 2, 2, 2\]'):
        tiny().set_dataset_meta(meta(PERSONS[:2], (1, 2)))
    with pytest.raises(ValueError, match="metainfo\\['sid_groups'\\]"):
        tiny().set_dataset_meta(dict(meta(), sid_groups=None))
    with pytest.raises(ValueError, match="'person_ids'"):
        tiny().set_dataset_meta(dict(meta(), person_ids=None))
    with pytest.raises(RuntimeError, match='has no SIDs'):
        tiny().set_dataset_meta(dict(attributes=ATTRS, sid_groups=GROUPS))


def test_checkpoint_carries_sids(tmp_path):
    """SIDs, per-person counts and identities travel in the state dict: a
    fresh model that loads it predicts, searches and trains the same."""
    from mmengine.runner.checkpoint import load_checkpoint
    torch.manual_seed(0)
    model, sids = bound()
    ckpt = str(tmp_path / 'cerberus.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    fresh = tiny()
    load_checkpoint(fresh, ckpt, map_location='cpu', strict=True)
    assert fresh.sids.num_sids == sids.num_sids
    assert fresh.id_index == model.id_index
    for a, b in zip(fresh.margins, model.margins):
        torch.testing.assert_close(a, b)
    # evaluation on data with the same attributes: nothing else needed
    fresh.set_dataset_meta(dict(attributes=ATTRS, sid_groups=GROUPS))
    model.eval(), fresh.eval()
    images = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        a, b = model.predict(images), fresh.predict(images)
    for x, y in zip(a, b):
        torch.testing.assert_close(x.pred_score, y.pred_score)
        torch.testing.assert_close(x.pred_embedding, y.pred_embedding)
    torch.testing.assert_close(fresh.encode_queries(PERSONS),
                               model.encode_queries(PERSONS))
    with pytest.raises(ValueError, match='was trained on the attributes'):
        fresh.set_dataset_meta(dict(attributes=ATTRS[::-1]))
    # a model of another size refuses the checkpoint, naming the count
    other = tiny()
    other.num_attributes = 7
    with pytest.raises(ValueError, match='built for 7 attributes'):
        load_checkpoint(other, ckpt, map_location='cpu')


def test_loss_terms():
    torch.manual_seed(0)
    model, sids = bound()
    # margins (Eq. 4) from the persons: identity SIDs counted 2, 1, 1
    assert torch.allclose(model.margins[3], torch.log(
        0.4 * torch.tensor([2, 1, 1]) / 4 + 1.8))
    samples = []
    for i in (0, 0, 1, 1, 2, 3):  # 2 images of persons 0 and 1
        s = DataSample().set_gt_score(torch.tensor(PERSONS[i]))
        s.set_field(11 * (i + 1), 'person_id')
        samples.append(s)
    losses = model.loss(torch.randn(6, 3, 64, 32), samples)
    assert set(losses) == {'loss_sem', 'loss_id', 'loss_reg'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.prototypes[3].grad.abs().sum() > 0
    # the identity group's attributes (female, old: columns 3 and 4)
    assert model.regularizer.residuals.grad[3:5].abs().sum() > 0
    bad = DataSample().set_gt_score(torch.tensor(PERSONS[0]))
    bad.set_field(99, 'person_id')
    with pytest.raises(KeyError, match='99 is not a training identity'):
        model.loss(torch.randn(1, 3, 64, 32), [bad])


def test_aps_partial_queries_and_par():
    torch.manual_seed(0)
    model, sids = bound()
    model.eval()
    with torch.no_grad():
        preds = model.predict(torch.randn(3, 3, 64, 32))
    parts = torch.stack([p.pred_parts for p in preds])  # (3, 5, d)
    gallery = torch.stack([p.pred_embedding for p in preds])
    query = PERSONS[:1]
    # full query: cosine = mean over groups of cos(part, prototype)
    full = model.encode_queries(query)
    protos = torch.stack([
        F.normalize(model.prototypes[g][sids.encode(query)[0, g]], dim=0)
        for g in range(5)
    ])
    want = (parts * protos[None]).sum(-1).mean(1)
    torch.testing.assert_close(
        F.cosine_similarity(full, gallery), want, rtol=1e-5, atol=1e-6)
    # partial query: lower body and identity unknown -> the mean over the
    # known groups, times the constant sqrt(3 / 5) (same ranking)
    partial = model.encode_queries(query, ['head', 'upper', 'carrying'])
    want = (parts * protos[None])[:, [0, 1, 4]].sum(-1).mean(1)
    torch.testing.assert_close(
        F.cosine_similarity(partial, gallery), want * (3 / 5)**0.5,
        rtol=1e-5, atol=1e-6)
    assert partial.view(5, -1)[[2, 3]].abs().sum() == 0
    with pytest.raises(ValueError, match='non-empty subset'):
        model.encode_queries(query, ['head', 'shoes'])
    # PAR: the nearest prototype of each group, back to attributes
    for pred, part in zip(preds, parts):
        codes = [int((part[g] @ F.normalize(model.prototypes[g], dim=1).t()
                      ).argmax()) for g in range(5)]
        np.testing.assert_array_equal(pred.pred_score.numpy(),
                                      sids.decode([codes])[0])


def test_unseen_sid_prototype_from_residuals():
    """'old female' (1, 1) never occurs: its prototype is estimated from
    the others and the learned residual vectors (Eq. 8)."""
    model, sids = bound()
    group = 3
    with torch.no_grad():
        v = model.regularizer.residuals[3:5]  # female, old
        v.copy_(torch.randn_like(v))
        # prototypes that follow the residuals: p(a) = c + a @ V
        c = torch.randn(16)
        attrs = torch.from_numpy(sids.sids[group]).float()
        model.prototypes[group].copy_(c + attrs @ v)
    estimate = model.prototype(group, np.array([1, 1]))
    torch.testing.assert_close(
        estimate, c + model.regularizer.residuals[3:5].detach().sum(0))
    seen = model.prototype(group, sids.sids[group][0])
    assert seen.data_ptr() == model.prototypes[group][0].data_ptr()
