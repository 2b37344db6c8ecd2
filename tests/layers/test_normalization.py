"""Conditional, self-modulated and cross-replica batch norm against numpy formulas."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.layers import (
    ConditionalBatchNorm,
    SelfModulationBatchNorm,
    apply_norm,
    discriminator_norm,
    generator_norm,
)

EPSILON = 1e-5


def _batch_standardize(x):
    """numpy training-mode BN without affine parameters: biased variance over all but channels."""
    axes = tuple(range(x.ndim - 1))
    return (x - x.mean(axes)) / np.sqrt(x.var(axes) + EPSILON)


def _images(batch=8):
    return np.random.randn(batch, 4, 4, 6).astype("float32") * 2.0 + 0.5


def test_conditional_bn_with_labels_starts_as_plain_bn_and_uses_one_plus_gamma():
    layer = ConditionalBatchNorm(num_classes=5, epsilon=EPSILON)
    x, labels = _images(), np.array([0, 1, 2, 3, 4, 0, 1, 2])
    np.testing.assert_allclose(layer(x, labels, training=True), _batch_standardize(x), atol=1e-5)

    gamma = np.random.randn(5, 6).astype("float32")
    beta = np.random.randn(5, 6).astype("float32")
    layer.gamma.embeddings.assign(gamma)
    layer.beta.embeddings.assign(beta)
    expected = (
        _batch_standardize(x) * (1 + gamma[labels])[:, None, None] + beta[labels][:, None, None]
    )
    np.testing.assert_allclose(layer(x, labels, training=True), expected, atol=1e-5)


def test_conditional_bn_with_vector_condition_uses_linear_maps():
    layer = ConditionalBatchNorm(epsilon=EPSILON)
    x, condition = _images(), np.random.randn(8, 3).astype("float32")
    outputs = layer(x, condition, training=True).numpy()
    gain = 1 + condition @ layer.gamma.kernel.numpy()
    bias = condition @ layer.beta.kernel.numpy()
    expected = _batch_standardize(x) * gain[:, None, None] + bias[:, None, None]
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    assert len(layer.gamma.weights) == 1  # bias-free map, as in BigGAN


def test_conditional_bn_vector_maps_can_be_spectrally_normalized():
    layer = ConditionalBatchNorm(spectral_norm="sn", epsilon=EPSILON)
    x, condition = _images(), np.random.randn(8, 3).astype("float32")
    for _ in range(50):
        layer(x, condition, training=True)
    kernel = layer.gamma.normalized_kernel().numpy()
    assert abs(np.linalg.svd(kernel, compute_uv=False)[0] - 1) < 0.01
    gain = 1 + condition @ kernel
    bias = condition @ layer.beta.normalized_kernel().numpy()
    expected = _batch_standardize(x) * gain[:, None, None] + bias[:, None, None]
    np.testing.assert_allclose(layer(x, condition, training=True), expected, atol=1e-5)


def test_self_modulation_bn_formula():
    layer = SelfModulationBatchNorm(hidden_units=5, epsilon=EPSILON)
    x, z = _images(), np.random.randn(8, 4).astype("float32")
    outputs = layer(x, z, training=True).numpy()
    hidden = np.maximum(z @ layer.hidden.kernel.numpy() + layer.hidden.bias.numpy(), 0)
    gain = hidden @ layer.gain.kernel.numpy() + layer.gain.bias.numpy()
    bias = hidden @ layer.bias.kernel.numpy() + layer.bias.bias.numpy()
    expected = _batch_standardize(x) * gain[:, None, None] + bias[:, None, None]
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    np.testing.assert_array_equal(layer.gain.bias.numpy(), np.ones(6))  # gain starts near 1


def test_inference_uses_moving_statistics_and_does_not_update_them():
    layer = ConditionalBatchNorm(num_classes=3, momentum=0.5, epsilon=EPSILON)
    x, labels = _images(), np.zeros(8, dtype="int32")
    layer(x, labels, training=True)
    moving_mean = layer.standardize.moving_mean.numpy().copy()
    moving_variance = layer.standardize.moving_variance.numpy().copy()
    # momentum 0.5 from (0, 1): the moving statistics are halfway to the batch's.
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean((0, 1, 2)), atol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.5 + 0.5 * x.var((0, 1, 2)), rtol=1e-3)

    outputs = layer(x, labels, training=False)
    np.testing.assert_allclose(
        outputs, (x - moving_mean) / np.sqrt(moving_variance + EPSILON), atol=1e-5
    )
    np.testing.assert_array_equal(layer.standardize.moving_mean.numpy(), moving_mean)


def _make(kind):
    """(layer, condition for a batch of 32) for each BN flavour under test."""
    if kind == "plain":
        return keras.layers.BatchNormalization(synchronized=True, epsilon=EPSILON), None
    if kind == "conditional_labels":
        layer = ConditionalBatchNorm(num_classes=4, synchronized=True, epsilon=EPSILON)
        return layer, np.arange(32) % 4
    if kind == "conditional_vector":
        layer = ConditionalBatchNorm(synchronized=True, epsilon=EPSILON)
        return layer, np.random.randn(32, 3).astype("float32")
    layer = SelfModulationBatchNorm(synchronized=True, epsilon=EPSILON)
    return layer, np.random.randn(32, 3).astype("float32")


def _moving_statistics(layer):
    standardize = getattr(layer, "standardize", layer)
    return standardize.moving_mean.numpy(), standardize.moving_variance.numpy()


@pytest.mark.parametrize(
    "kind", ["plain", "conditional_labels", "conditional_vector", "self_modulated"]
)
def test_cross_replica_bn_on_4x8_equals_one_replica_on_32(kind, mirrored_strategy):
    images = _images(32)
    single, condition = _make(kind)
    # training=False builds the layers without touching their moving statistics.
    apply_norm(single, images[:1], None if condition is None else condition[:1], training=False)
    with mirrored_strategy.scope():
        replicated, _ = _make(kind)
        apply_norm(replicated, images[:1], None if condition is None else condition[:1])
        replicated.set_weights(single.get_weights())
    reference = apply_norm(single, images, condition, training=True).numpy()

    def per_replica(context):
        rows = slice(
            8 * context.replica_id_in_sync_group, 8 * (context.replica_id_in_sync_group + 1)
        )
        return images[rows], None if condition is None else condition[rows]

    inputs = mirrored_strategy.experimental_distribute_values_from_function(per_replica)

    @tf.function
    def step(batch):
        return mirrored_strategy.run(
            lambda x, c: apply_norm(replicated, x, c, training=True), args=batch
        )

    outputs = np.concatenate(
        [o.numpy() for o in mirrored_strategy.experimental_local_results(step(inputs))]
    )
    np.testing.assert_allclose(outputs, reference, atol=1e-5)
    for got, expected in zip(_moving_statistics(replicated), _moving_statistics(single)):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_factories_reject_unknown_names_and_missing_conditions():
    with pytest.raises(ValueError, match="Unknown generator normalization 'spectral'"):
        generator_norm("spectral")
    with pytest.raises(ValueError, match="Unknown discriminator normalization 'group'"):
        discriminator_norm("group")
    with pytest.raises(ValueError, match="needs a condition"):
        apply_norm(generator_norm("conditional", num_classes=3), _images())
    assert generator_norm("none") is None


def test_discriminator_layer_norm_normalizes_each_example_over_all_its_pixels():
    x = _images()
    outputs = discriminator_norm("layer")(x).numpy()
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    variance = x.var(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(outputs, (x - mean) / np.sqrt(variance + 1e-5), atol=1e-4)
