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
    out, = m(inputs())
    # each half is a LayerNorm output: zero mean, unit variance per sample
    for half in (out[:, :8], out[:, 8:]):
        torch.testing.assert_close(
            half.mean(1), torch.zeros(3), atol=1e-5, rtol=0)
        torch.testing.assert_close(
            half.var(1, unbiased=False), torch.ones(3), atol=1e-3, rtol=0)
    # LN_s scales M^s only, LN_v M^v only
    with torch.no_grad():
        m.ln_s.weight.fill_(2.)
        m.ln_v.bias.fill_(3.)
        scaled, = m(inputs())
    torch.testing.assert_close(scaled[:, :8], 2 * out[:, :8])
    torch.testing.assert_close(scaled[:, 8:], out[:, 8:] + 3)


def attention_by_hand(attn, query, kv):
    """``nn.MultiheadAttention(query (B, 1, D), kv, kv)`` from its weights:
    per-head scaled dot products, softmax, output projection."""
    d = query.shape[-1]
    heads = attn.num_heads
    w_q, w_k, w_v = attn.in_proj_weight.split(d)
    b_q, b_k, b_v = attn.in_proj_bias.split(d)

    def split(x):  # (B, L, D) -> (B, heads, L, D / heads)
        return x.reshape(x.shape[0], x.shape[1], heads, -1).transpose(1, 2)

    q, k, v = (split(x @ w.T + b) for x, w, b in ((query, w_q, b_q),
                                                  (kv, w_k, b_k),
                                                  (kv, w_v, b_v)))
    weights = torch.softmax(q @ k.transpose(-1, -2) / (d // heads)**0.5, -1)
    out = (weights @ v).transpose(1, 2).reshape(query.shape)
    return out @ attn.out_proj.weight.T + attn.out_proj.bias


def layer_norm_by_hand(ln, x):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean)**2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + ln.eps) * ln.weight + ln.bias


@pytest.mark.parametrize('fuse', ['concat', 'mean'])
def test_cross_fusion_equations_by_hand(fuse):
    """Eq. (3)-(5) (and Eq. 1's mean) computed from the neck's weights:
    z^s attends over [z^s; ViT tokens], z^v over [z^v; Swin tokens], each
    with its residual, then its own LayerNorm, then concat or mean."""
    m = neck(fuse=fuse)
    torch.manual_seed(2)
    with torch.no_grad():  # non-trivial norms and biases
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))
    tokens, local = inputs()
    with torch.no_grad():
        out, = m((tokens, local))
        z_s = local.flatten(1) @ m.local_align.weight.T + m.local_align.bias
        z_v = (tokens[:, 0] @ m.global_align.weight.T +
               m.global_align.bias)
        vit = tokens @ m.global_tokens_proj.weight.T + \
            m.global_tokens_proj.bias
        swin = local.flatten(2).transpose(1, 2) @ \
            m.local_tokens_proj.weight.T + m.local_tokens_proj.bias
        q_s, q_v = z_s[:, None], z_v[:, None]
        f_s = q_s + attention_by_hand(m.svcf.attn, q_s,
                                      torch.cat([q_s, vit], 1))
        f_v = q_v + attention_by_hand(m.vscf.attn, q_v,
                                      torch.cat([q_v, swin], 1))
        m_s = layer_norm_by_hand(m.ln_s, f_s[:, 0])
        m_v = layer_norm_by_hand(m.ln_v, f_v[:, 0])
    expected = torch.cat([m_s, m_v], 1) if fuse == 'concat' else (
        m_s + m_v) / 2
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


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
