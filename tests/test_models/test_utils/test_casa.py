import pytest
import torch

from clear_mm.models import ChannelAwareSelfAttention


def test_casa_is_channel_attention():
    torch.manual_seed(0)
    casa = ChannelAwareSelfAttention(embed_dims=6, input_resolution=(4, 2))
    x = torch.randn(3, 8, 6)  # (B, h*w, C)
    out = casa(x, (4, 2))
    assert out.shape == x.shape

    # Independent computation of Eq. (2), channel reading.
    xc = x.transpose(1, 2)  # (B, C, N)
    q = xc @ casa.q.weight.T + casa.q.bias
    k = xc @ casa.k.weight.T + casa.k.bias
    v = xc @ casa.v.weight.T + casa.v.bias
    att = torch.softmax(torch.einsum('bcn,bdn->bcd', q, k) / 8**0.5, dim=-1)
    expected = (xc + torch.einsum('bcd,bdn->bcn', att, v)).transpose(1, 2)
    torch.testing.assert_close(out, expected)
    # channel attention: changing one channel changes every other one
    x2 = x.clone()
    x2[:, :, 0] += 1.0
    diff = (casa(x2, (4, 2)) - out)[:, :, 1:].abs().amax(dim=(0, 1))
    assert (diff > 0).all()


def test_casa_keeps_layout_and_legacy_flag_differs():
    torch.manual_seed(0)
    casa = ChannelAwareSelfAttention(4, (2, 3))
    legacy = ChannelAwareSelfAttention(4, (2, 3), legacy_layout=True)
    legacy.load_state_dict(casa.state_dict())
    x = torch.randn(2, 6, 4)
    # Zero attention output: CASA reduces to the identity, token by token.
    for m in (casa, legacy):
        torch.nn.init.zeros_(m.v.weight)
        torch.nn.init.zeros_(m.v.bias)
    torch.testing.assert_close(casa(x, (2, 3)), x)
    torch.nn.init.normal_(casa.v.weight)
    legacy.load_state_dict(casa.state_dict())
    assert not torch.allclose(casa(x, (2, 3)), legacy(x, (2, 3)))


def test_casa_rejects_other_sizes():
    casa = ChannelAwareSelfAttention(4, (8, 4))
    with pytest.raises(ValueError, match=r'built for a \(8, 4\).*\(4, 4\)'):
        casa(torch.randn(1, 16, 4), (4, 4))
