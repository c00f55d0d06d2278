import pytest
import torch

from clear_mm.models import CrossFusionNeck


def neck(**kwargs):
    cfg = dict(
        global_channels=16,
        local_channels=12,
        local_size=(4, 2),
        embed_dims=8,
        num_heads=2)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return CrossFusionNeck(**cfg).eval()


def inputs(b=3):
    torch.manual_seed(1)
    return torch.randn(b, 1 + 6, 16), torch.randn(b, 12, 4, 2)


@pytest.mark.parametrize('fuse,width', [('concat', 16), ('mean', 8)])
@pytest.mark.parametrize('cross', [True, False])
def test_output_width(fuse, width, cross):
    out, = neck(fuse=fuse, cross_fusion=cross)(inputs())
    assert out.shape == (3, width)


def test_single_branch():
    tokens, local = inputs()
    m = neck()
    assert m((tokens, None))[0].shape == (3, 8)
    assert m((None, local))[0].shape == (3, 8)
    with pytest.raises(ValueError, match='no branch'):
        m((None, None))


def test_cross_fusion_mixes_branches():
    """With SVCF, M^s depends on the ViT patch tokens; without it, not."""
    tokens, local = inputs()
    other = tokens.clone()
    other[:, 1:] += 1.0  # change the ViT patch tokens, keep CLS
    for cross in (True, False):
        m = neck(cross_fusion=cross)
        with torch.no_grad():
            m_s = m((tokens, local))[0][:, :8]
            m_s2 = m((other, local))[0][:, :8]
        assert torch.allclose(m_s, m_s2) is (not cross)


def test_independent_layer_norms():
    m = neck()
    assert m.ln_s is not m.ln_v
    out, = m(inputs())
    # each half is a LayerNorm output: zero mean, unit variance per sample
    for half in (out[:, :8], out[:, 8:]):
        torch.testing.assert_close(
            half.mean(1), torch.zeros(3), atol=1e-5, rtol=0)


def test_bad_inputs():
    tokens, local = inputs()
    with pytest.raises(ValueError, match=r'built for a \(4, 2\)'):
        neck()((tokens, torch.randn(3, 12, 2, 2)))
    with pytest.raises(ValueError, match='16 global channels'):
        neck()((torch.randn(3, 7, 10), local))
    with pytest.raises(ValueError, match='fuse'):
        neck(fuse='sum')
    avg = neck(local_pool='avg')
    assert avg((tokens, torch.randn(3, 12, 2, 2)))[0].shape == (3, 16)
