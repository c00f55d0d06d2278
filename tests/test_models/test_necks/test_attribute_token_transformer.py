import pytest
import torch

from clear_mm.models import AttributeTokenTransformer


def test_paper_configuration_shapes():
    """ResNet-50 map at 256x128 (2048 x 8 x 4), 2x2 patches: 8 visual
    tokens; PETA's 35 attribute tokens; d = 384, 3 blocks, 12 heads."""
    neck = AttributeTokenTransformer(in_channels=2048, num_attributes=35)
    neck.init_weights()
    assert len(neck.layers) == 3
    assert neck.layers[0].attn.num_heads == 12
    assert neck.patch_embed.kernel_size == (2, 2)
    visual, attrs = neck((torch.randn(2, 2048, 8, 4), ))
    assert visual.shape == (2, 8, 384)
    assert attrs.shape == (2, 35, 384)
    # the attribute tokens are learned, not input: same for both images
    # before the blocks, different after (they attend to the image)
    assert not torch.allclose(attrs[0], attrs[1])


def test_patch_projection_is_a_linear_map_of_flattened_patches():
    neck = AttributeTokenTransformer(
        in_channels=3, num_attributes=1, feat_size=(4, 2), embed_dims=12,
        num_heads=3)
    x = torch.randn(1, 3, 4, 2)
    tokens = neck.patch_embed(x).flatten(2).transpose(1, 2)  # (1, 2, 12)
    w = neck.patch_embed.weight.reshape(12, -1)  # (d, C * Ph * Pw)
    patch = x[0, :, 2:4, 0:2].reshape(-1)  # second (lower) patch
    torch.testing.assert_close(tokens[0, 1],
                               w @ patch + neck.patch_embed.bias)


def test_invalid_sizes_are_named():
    with pytest.raises(ValueError, match='382'):
        AttributeTokenTransformer(
            in_channels=8, num_attributes=3, embed_dims=382)
    neck = AttributeTokenTransformer(
        in_channels=8, num_attributes=3, embed_dims=24, num_heads=2)
    with pytest.raises(ValueError, match='7x4 cannot be split into 2x2'):
        neck(torch.randn(1, 8, 7, 4))
    with pytest.raises(ValueError, match=r'\(B, 8, H, W\)'):
        neck(torch.randn(1, 4, 8, 4))


def test_other_map_sizes_resize_position_embeddings():
    neck = AttributeTokenTransformer(
        in_channels=8, num_attributes=3, feat_size=(8, 4), embed_dims=24,
        num_heads=2)
    visual, attrs = neck(torch.randn(2, 8, 12, 6))
    assert visual.shape == (2, 18, 24) and attrs.shape == (2, 3, 24)
