"""The compare_gan-exact options of the layers against numpy written from compare_gan's
arch_ops (standardize_batch, conditional_batch_norm) on fixed inputs."""

import keras
import numpy as np
import pytest

from compare_gan_tf.layers import ConditionalBatchNorm, generator_norm


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
            layer(x, training=True), _standardize_batch(x, epsilon), rtol=1e-5, atol=1e-6
        )
        # assign_moving_average(v, value, decay, zero_debias=False): v -= (1 - decay)(v - value).
        moving_mean -= (1 - decay) * (moving_mean - x.mean((0, 1, 2)))
        moving_variance -= (1 - decay) * (moving_variance - x.var((0, 1, 2)))
    np.testing.assert_allclose(layer.moving_mean, moving_mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance, moving_variance, rtol=1e-6, atol=1e-6)
    # Inference: tf.nn.batch_normalization with the moving moments and variance_epsilon.
    x = _images()
    expected = (x - moving_mean) / np.sqrt(moving_variance + epsilon)
    np.testing.assert_allclose(layer(x, training=False), expected, rtol=1e-5, atol=1e-6)


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
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
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
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)


def test_conditional_batch_norm_gain_round_trips_and_is_checked():
    layer = ConditionalBatchNorm(gain="gamma")
    assert ConditionalBatchNorm.from_config(layer.get_config()).gain == "gamma"
    assert ConditionalBatchNorm().gain == "one_plus_gamma"
    with pytest.raises(ValueError, match="use one of: one_plus_gamma, gamma"):
        ConditionalBatchNorm(gain="plus_one")


def test_generator_norm_passes_the_gain():
    assert generator_norm("conditional", num_classes=3, cbn_gain="gamma").gain == "gamma"
