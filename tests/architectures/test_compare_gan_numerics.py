"""The compare_gan-exact architecture options reach every layer they concern through gin, and
bad values name their binding and choices (the numbers: tests/layers/test_compare_gan_numerics)."""

import gin
import keras
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import build_generator
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers import ConditionalBatchNorm


@pytest.fixture
def clean_gin():
    gin.clear_config()
    yield
    gin.clear_config()


def _layers(model, cls):
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, cls)]


@pytest.mark.parametrize("name, ch", [("biggan", 8), ("resnet_cifar", 4)])
def test_cbn_gain_binding_reaches_every_conditional_batch_norm(clean_gin, name, ch):
    gin.bind_parameter(f"{name}_generator.cbn_gain", "gamma")
    generator = build_generator(name, 32, num_classes=3, ch=ch, normalization="conditional")
    generator(tf.random.normal([2, generator.z_dim]), tf.constant([0, 2]), training=True)
    norms = _layers(generator, ConditionalBatchNorm)
    assert len(norms) >= 6 and {norm.gain for norm in norms} == {"gamma"}
    assert generator.get_config()["cbn_gain"] == "gamma"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(generator))
    assert restored.cbn_gain == "gamma"


def test_cbn_gain_default_keeps_one_plus_gamma(clean_gin):
    generator = build_generator("biggan", 32, num_classes=3, ch=8)
    generator(tf.random.normal([2, generator.z_dim]), tf.constant([0, 2]), training=True)
    assert {norm.gain for norm in _layers(generator, ConditionalBatchNorm)} == {"one_plus_gamma"}


@pytest.mark.parametrize(
    "options, message",
    [
        (
            {"num_classes": 3, "cbn_gain": "plus_one"},
            "Unknown resnet_cifar_generator.cbn_gain 'plus_one'; use one of: one_plus_gamma, "
            "gamma.",
        ),
        (
            {"normalization": "batch", "cbn_gain": "gamma"},
            "resnet_cifar_generator.cbn_gain = 'gamma' applies to conditional batch norm only",
        ),
    ],
)
def test_bad_cbn_gain_is_a_config_error(clean_gin, options, message):
    with pytest.raises(ConfigError) as error:
        build_generator("resnet_cifar", 32, ch=4, **options)
    assert message in str(error.value)
