"""NonLocalBlock against a numpy implementation of the SAGAN attention."""

import numpy as np
import pytest
from scipy.special import softmax

from compare_gan_tf.layers import NonLocalBlock, SpectralNormalization


def _max_pool(x):
    batch, height, width, channels = x.shape
    return x.reshape(batch, height // 2, 2, width // 2, 2, channels).max(axis=(2, 4))


def _conv1x1(x, layer):
    return x @ layer.kernel.numpy()[0, 0]


def _numpy_attention(x, block):
    """x + gamma * o(softmax(theta phi^T) g), with 2x2 max-pooled phi and g (SAGAN eq. 1-3)."""
    batch, height, width, channels = x.shape
    theta = _conv1x1(x, block.theta).reshape(batch, height * width, -1)
    phi = _max_pool(_conv1x1(x, block.phi)).reshape(batch, height * width // 4, -1)
    g = _max_pool(_conv1x1(x, block.g)).reshape(batch, height * width // 4, -1)
    attention = softmax(theta @ phi.transpose(0, 2, 1), axis=-1)
    attended = (attention @ g).reshape(batch, height, width, channels // 2)
    return x + block.gamma.numpy() * _conv1x1(attended, block.attention_output)


def test_is_the_identity_at_initialization():
    x = np.random.randn(2, 8, 6, 16).astype("float32")
    np.testing.assert_array_equal(NonLocalBlock()(x).numpy(), x)


def test_matches_numpy_attention():
    x = np.random.randn(2, 8, 6, 16).astype("float32")
    block = NonLocalBlock()
    block(x)
    block.gamma.assign(0.7)
    assert block.theta.kernel.shape == (1, 1, 16, 2)
    assert block.g.kernel.shape == (1, 1, 16, 8)
    np.testing.assert_allclose(block(x).numpy(), _numpy_attention(x, block), atol=1e-5)


def test_spectral_norm_wraps_all_four_convolutions():
    block = NonLocalBlock(spectral_norm="sn")
    block(np.zeros((1, 4, 4, 8), "float32"))
    convs = [block.theta, block.phi, block.g, block.attention_output]
    assert all(isinstance(conv, SpectralNormalization) for conv in convs)


def test_rejects_shapes_it_cannot_attend_over():
    with pytest.raises(ValueError, match="divisible by 8"):
        NonLocalBlock()(np.zeros((1, 4, 4, 12), "float32"))
    with pytest.raises(ValueError, match="must be even"):
        NonLocalBlock()(np.zeros((1, 5, 4, 8), "float32"))
