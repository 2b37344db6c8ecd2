"""gin's `batch_norm` and `spectral_norm` defaults reach every layer the architectures build."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import build_discriminator, build_generator
from compare_gan_tf.layers import SpectralNormalization
from compare_gan_tf.layers.normalization import batch_norm_layers


def _models(generator_synchronized=False):
    """A BigGAN pair (CBN, output BN, SN everywhere) and ResNet / DCGAN / MLP Ds with BN."""
    generator = build_generator(
        "biggan", 32, num_classes=3, ch=8, synchronized=generator_synchronized
    )
    generator(tf.random.normal([2, generator.z_dim]), tf.constant([0, 2]), training=True)
    discriminators = [
        build_discriminator("biggan", 32, num_classes=3, ch=8),
        build_discriminator("resnet_cifar", 32, ch=4, normalization="batch"),
        build_discriminator("dcgan", 32, ch=4, normalization="batch"),
    ]
    for discriminator in discriminators:
        discriminator(tf.random.normal([2, 32, 32, 3]), tf.constant([0, 2]), training=True)
    points = build_discriminator("mlp", None, normalization="batch")
    points(tf.random.normal([2, 2]), training=True)
    return generator, discriminators + [points]


def _spectral_norms(model):
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, SpectralNormalization)
    ]


def test_defaults_are_keras_momentum_and_one_power_iteration(clean_gin):
    generator, discriminators = _models()
    norms = [bn for model in (generator, *discriminators) for bn in batch_norm_layers(model)]
    assert {(bn.momentum, bn.epsilon) for bn in norms} == {(0.99, 1e-5)}
    assert {sn.power_iterations for sn in _spectral_norms(generator)} == {1}


def test_bindings_reach_every_batch_norm_and_spectral_norm(clean_gin):
    gin.parse_config(
        """
        batch_norm.momentum = 0.9
        batch_norm.epsilon = 1e-3
        spectral_norm.power_iterations = 3
        """
    )
    generator, discriminators = _models()
    for model in (generator, *discriminators[1:]):  # BigGAN's D has no batch norm
        norms = batch_norm_layers(model)
        assert norms, model.name
        assert {(bn.momentum, bn.epsilon) for bn in norms} == {(0.9, 1e-3)}, model.name
    # Conditional BN's gain and bias maps, attention, blocks, fc, output conv and the head.
    for model in (generator, discriminators[0]):
        sns = _spectral_norms(model)
        assert len(sns) > 10 and {sn.power_iterations for sn in sns} == {3}
    assert generator.get_config()["bn_momentum"] == 0.9
    assert generator.get_config()["sn_power_iterations"] == 3


def test_momentum_binding_sets_the_moving_average_update(clean_gin):
    gin.bind_parameter("batch_norm.momentum", 0.75)
    discriminator = build_discriminator("dcgan", 32, ch=4, normalization="batch")
    images = tf.random.normal([4, 32, 32, 3])
    discriminator(images, training=True)
    bn = batch_norm_layers(discriminator)[0]
    # Keras BN starts from mean 0: moving_mean = 0.75 * 0 + 0.25 * batch mean of its input.
    conv_outputs = discriminator.convs[1](
        tf.nn.leaky_relu(discriminator.convs[0](images), discriminator.SLOPE), training=False
    )
    expected = 0.25 * np.mean(conv_outputs.numpy(), axis=(0, 1, 2))
    np.testing.assert_allclose(bn.moving_mean.numpy(), expected, rtol=1e-4, atol=1e-6)


def test_power_iterations_binding_runs_that_many_steps(clean_gin):
    gin.bind_parameter("spectral_norm.power_iterations", 5)
    generator = build_generator("dcgan", 32, ch=4, spectral_norm="sn")
    generator(tf.random.normal([2, generator.z_dim]), training=False)
    sn = _spectral_norms(generator)[0]
    kernel = sn.raw_kernel.numpy().reshape(-1, sn.raw_kernel.shape[-1]).astype(np.float64)
    u = sn.u.numpy().astype(np.float64)
    for _ in range(5):
        v = kernel @ u
        v /= np.linalg.norm(v)
        u = kernel.T @ v
        u /= np.linalg.norm(u)
    sn.normalized_kernel(training=True)
    np.testing.assert_allclose(sn.u.numpy(), u, atol=1e-5)


@pytest.mark.parametrize(
    "binding,passed,expected", [(None, True, True), (False, True, False), (True, False, True)]
)
def test_generator_cross_replica_binding_overrides_the_callers_choice(
    clean_gin, binding, passed, expected
):
    if binding is not None:
        gin.bind_parameter("batch_norm.generator_cross_replica", binding)
    generator, discriminators = _models(generator_synchronized=passed)
    assert generator.synchronized is expected
    assert {bn.synchronized for bn in batch_norm_layers(generator)} == {expected}
    # D's batch norms stay per replica.
    assert not any(bn.synchronized for bn in batch_norm_layers(discriminators[1]))
    assert (
        keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(generator)
        ).synchronized
        is expected
    )
