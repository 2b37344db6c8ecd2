"""The compare_gan-exact options of the layers against numpy written from compare_gan's
arch_ops (standardize_batch, conditional_batch_norm, conv2d) and resnet_ops (unpool,
ResNetBlock) and resnet_biggan (BigGanResNetBlock) on fixed inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.layers import (
    ConditionalBatchNorm,
    DiscriminatorResBlock,
    GeneratorResBlock,
    generator_norm,
)
from compare_gan_tf.layers.block_base import zero_insertion_upsampling


def _standardize_batch(x, epsilon):
    """compare_gan arch_ops.standardize_batch in training: tf.nn.normalize_moments' mean and
    (population) variance over every axis but the channels, no affine parameters."""
    axes = tuple(range(x.ndim - 1))
    return (x - x.mean(axes)) / np.sqrt(x.var(axes) + epsilon)


def _images(batch=8):
    return (np.random.randn(batch, 4, 4, 6) * 2.0 + 0.5).astype("float32")


def test_batch_norm_momentum_and_epsilon_are_standardize_batch_decay_and_epsilon():
    # compare_gan's example configs: standardize_batch.decay = 0.9, epsilon = 1e-5.
    decay, epsilon = 0.9, 1e-5
    layer = generator_norm("batch", momentum=decay, epsilon=epsilon)
    batches = [_images(), _images() - 1.0, _images() * 0.5]
    moving_mean, moving_variance = np.zeros(6), np.ones(6)
    for x in batches:
        np.testing.assert_allclose(
            layer(x, training=True), _standardize_batch(x, epsilon), rtol=1e-6, atol=1e-6
        )
        # assign_moving_average(v, value, decay, zero_debias=False): v -= (1 - decay)(v - value).
        moving_mean -= (1 - decay) * (moving_mean - x.mean((0, 1, 2)))
        moving_variance -= (1 - decay) * (moving_variance - x.var((0, 1, 2)))
    np.testing.assert_allclose(layer.moving_mean, moving_mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance, moving_variance, rtol=1e-6, atol=1e-6)
    # Inference: tf.nn.batch_normalization with the moving moments and variance_epsilon.
    x = _images()
    expected = (x - moving_mean) / np.sqrt(moving_variance + epsilon)
    np.testing.assert_allclose(layer(x, training=False), expected, rtol=1e-6, atol=1e-6)


def _compare_gan_cbn(x, y, gamma_kernel, beta_kernel, epsilon):
    """compare_gan arch_ops.conditional_batch_norm (use_bias=False): standardize_batch, then
    outputs *= linear(y, gamma), outputs += linear(y, beta), with no "+1" on gamma."""
    gamma = (y @ gamma_kernel)[:, None, None, :]
    beta = (y @ beta_kernel)[:, None, None, :]
    return _standardize_batch(x.astype(np.float64), epsilon) * gamma + beta


def test_conditional_batch_norm_gain_gamma_is_compare_gans_on_a_vector():
    layer = ConditionalBatchNorm(gain="gamma", epsilon=1e-5)
    x, condition = _images(), np.random.randn(8, 3).astype("float32")
    outputs = layer(x, condition, training=True)
    kernels = layer.gamma.kernel.numpy(), layer.beta.kernel.numpy()
    expected = _compare_gan_cbn(x, condition, *kernels, 1e-5)
    np.testing.assert_allclose(outputs, expected, rtol=1e-6, atol=1e-6)
    assert len(layer.gamma.weights) == len(layer.beta.weights) == 1  # no bias


def test_conditional_batch_norm_gain_gamma_is_compare_gans_on_labels():
    # compare_gan's linear maps of one-hot labels: embeddings initialized like kernels.
    initializer = keras.initializers.RandomNormal(stddev=0.02)
    layer = ConditionalBatchNorm(num_classes=5, gain="gamma", kernel_initializer=initializer)
    x, labels = _images(), np.array([0, 1, 2, 3, 4, 0, 1, 2])
    outputs = layer(x, labels, training=True)
    gamma, beta = layer.gamma.embeddings.numpy(), layer.beta.embeddings.numpy()
    assert 0.01 < gamma.std() < 0.03 and 0.01 < beta.std() < 0.03
    assert not np.allclose(gamma, beta)
    one_hot = np.eye(5)[labels]
    expected = _compare_gan_cbn(x, one_hot, gamma, beta, 1e-5)
    np.testing.assert_allclose(outputs, expected, rtol=1e-6, atol=1e-6)


def test_conditional_batch_norm_gain_round_trips_and_is_checked():
    layer = ConditionalBatchNorm(gain="gamma")
    assert ConditionalBatchNorm.from_config(layer.get_config()).gain == "gamma"
    assert ConditionalBatchNorm().gain == "one_plus_gamma"
    with pytest.raises(ValueError, match="use one of: one_plus_gamma, gamma"):
        ConditionalBatchNorm(gain="plus_one")


def test_generator_norm_passes_the_gain():
    assert generator_norm("conditional", num_classes=3, cbn_gain="gamma").gain == "gamma"


def _compare_gan_unpool(value):
    """compare_gan resnet_ops.unpool, its reshapes and concatenations written in numpy."""
    shape = value.shape
    dim = len(shape[1:-1])
    out = value.reshape([-1, *shape[-dim:]])
    for i in range(dim, 0, -1):
        out = np.concatenate([out, np.zeros_like(out)], i)
    return out.reshape([-1, *[s * 2 for s in shape[1:-1]], shape[-1]])


def _conv(x, layer):
    """compare_gan arch_ops.conv2d (stride 1, SAME padding, bias) with `layer`'s weights."""
    kernel, bias = (w.numpy().astype(np.float64) for w in (layer.kernel, layer.bias))
    size = kernel.shape[0]
    pad = size // 2
    padded = np.pad(x.astype(np.float64), [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    height, width = x.shape[1:3]
    out = np.zeros([x.shape[0], height, width, kernel.shape[-1]]) + bias
    for i in range(size):
        for j in range(size):
            out += padded[:, i : i + height, j : j + width] @ kernel[i, j]
    return out


def _pool(x):
    """tf.nn.pool AVG 2x2, stride 2, SAME on even sizes."""
    batch, height, width, channels = x.shape
    return x.reshape(batch, height // 2, 2, width // 2, 2, channels).mean(axis=(2, 4))


def _relu(x):
    return np.maximum(x, 0.0)


def test_zero_insertion_upsampling_is_compare_gans_unpool():
    x = np.random.randn(2, 3, 5, 4).astype("float32")
    out = zero_insertion_upsampling(tf.constant(x)).numpy()
    np.testing.assert_array_equal(out, _compare_gan_unpool(x))
    np.testing.assert_array_equal(out[:, ::2, ::2], x)  # values at the top left of each cell
    assert np.count_nonzero(out) == np.count_nonzero(x)


@pytest.mark.parametrize("upsample, in_channels", [(True, 4), (False, 6)])
def test_generator_block_is_compare_gans_resnet_block(upsample, in_channels):
    # compare_gan resnet_ops.ResNetBlock (G, no BN): shortcut = conv3x3(unpool(x)) always,
    # main path = conv3x3(relu(conv3x3(unpool(relu(x))))).
    block = GeneratorResBlock(
        6, upsample=upsample, normalization="none", upsampling="zeros", shortcut="conv3x3"
    )
    x = np.random.randn(2, 4, 4, in_channels).astype("float32")
    out = block(x).numpy()
    scale = _compare_gan_unpool if upsample else (lambda v: v)
    main = _conv(_relu(_conv(scale(_relu(x)), block.conv1)), block.conv2)
    expected = main + _conv(scale(x), block.shortcut)
    assert block.shortcut.kernel.shape == (3, 3, in_channels, 6)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("downsample, in_channels", [(True, 4), (False, 6)])
def test_discriminator_block_with_conv3x3_shortcut_is_compare_gans_resnet_block(
    downsample, in_channels
):
    # compare_gan resnet_ops.ResNetBlock (D): shortcut = pool(conv3x3(x)) always.
    block = DiscriminatorResBlock(6, downsample=downsample, shortcut="conv3x3")
    x = np.random.randn(2, 4, 4, in_channels).astype("float32")
    out = block(x).numpy()
    scale = _pool if downsample else (lambda v: v)
    main = scale(_conv(_relu(_conv(_relu(x), block.conv1)), block.conv2))
    expected = main + scale(_conv(x, block.shortcut))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("in_channels", [4, 6])
def test_discriminator_block_has_no_shortcut_when_channels_match(in_channels):
    # compare_gan resnet_biggan: BigGanResNetBlock(add_shortcut=in_channels != out_channels),
    # a 1x1 convolution then pooling when there is one; here the block downsamples.
    block = DiscriminatorResBlock(6, shortcut="none_if_same_channels")
    x = np.random.randn(2, 4, 4, in_channels).astype("float32")
    out = block(x).numpy()
    expected = _pool(_conv(_relu(_conv(_relu(x), block.conv1)), block.conv2))
    if in_channels != 6:
        expected = expected + _pool(_conv(x, block.shortcut))
        assert block.shortcut.kernel.shape == (1, 1, in_channels, 6)
    else:
        assert block.shortcut is None
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_block_options_round_trip_and_are_checked():
    g = GeneratorResBlock(4, upsampling="zeros", shortcut="conv3x3")
    d = DiscriminatorResBlock(4, shortcut="none_if_same_channels")
    g_config, d_config = g.get_config(), d.get_config()
    assert (g_config["upsampling"], g_config["shortcut"]) == ("zeros", "conv3x3")
    assert GeneratorResBlock.from_config(g_config).upsampling_kind == "zeros"
    assert DiscriminatorResBlock.from_config(d_config).shortcut_kind == "none_if_same_channels"
    with pytest.raises(ValueError, match="use one of: nearest, zeros"):
        GeneratorResBlock(4, upsampling="bilinear")
    with pytest.raises(ValueError, match="use one of: auto, conv3x3"):
        GeneratorResBlock(4, shortcut="none_if_same_channels")
    with pytest.raises(ValueError, match="use one of: auto, conv3x3, none_if_same_channels"):
        DiscriminatorResBlock(4, shortcut="conv1x1")
