"""The compare_gan-exact architecture options reach every layer they concern through gin, and
bad values name their binding and choices (the numbers: tests/layers/test_compare_gan_numerics)."""

import gin
import keras
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import build_discriminator, build_generator
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers import (
    ConditionalBatchNorm,
    DiscriminatorResBlock,
    GeneratorBottleneckBlock,
    GeneratorResBlock,
)


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


def test_resnet_upsampling_and_shortcut_bindings_reach_every_block(clean_gin):
    gin.parse_config(
        """
        resnet_cifar_generator.upsampling = "zeros"
        resnet_cifar_generator.shortcut = "conv3x3"
        resnet_cifar_discriminator.shortcut = "conv3x3"
        """
    )
    generator = build_generator("resnet_cifar", 32, ch=4)
    discriminator = build_discriminator("resnet_cifar", 32, ch=4)
    generator(tf.random.normal([2, generator.z_dim]), training=True)
    discriminator(tf.random.normal([2, 32, 32, 3]), training=True)
    g_blocks = _layers(generator, GeneratorResBlock)
    d_blocks = _layers(discriminator, DiscriminatorResBlock)
    assert len(g_blocks) == 3 and len(d_blocks) == 4
    assert {(b.upsampling_kind, b.shortcut_kind) for b in g_blocks} == {("zeros", "conv3x3")}
    assert {b.shortcut_kind for b in d_blocks} == {"conv3x3"}
    # Every block has a 3x3 shortcut, also D's last two, which keep the shape.
    assert {b.shortcut.kernel.shape[:2] for b in g_blocks + d_blocks} == {(3, 3)}
    config = generator.get_config()
    assert (config["upsampling"], config["shortcut"]) == ("zeros", "conv3x3")
    assert discriminator.get_config()["shortcut"] == "conv3x3"


def test_biggan_discriminator_drops_the_shortcut_of_blocks_that_keep_channels(clean_gin):
    gin.bind_parameter("biggan_discriminator.shortcut", "none_if_same_channels")
    discriminator = build_discriminator("biggan", 32, num_classes=3, ch=8)
    discriminator(tf.random.normal([2, 32, 32, 3]), tf.constant([0, 1]), training=True)
    blocks = _layers(discriminator, DiscriminatorResBlock)
    # At 32 px the widths are (2, 2, 2, 2) x ch: only the first block changes channels.
    assert [b.skip for b in blocks] == [True, False, False, False]
    assert blocks[0].shortcut.layer.kernel_size == (1, 1)  # inside spectral norm


def test_biggan_deep_generator_takes_the_upsampling_but_no_other_shortcut(clean_gin):
    gin.bind_parameter("biggan_deep_generator.upsampling", "zeros")
    generator = build_generator("biggan_deep", 128, num_classes=3, ch=8)
    blocks = [b for b in generator.blocks if isinstance(b, GeneratorBottleneckBlock)]
    assert blocks and {b.upsampling_kind for b in blocks} == {"zeros"}
    with pytest.raises(ConfigError, match="Unknown biggan_deep_generator.shortcut 'conv3x3'"):
        build_generator("biggan_deep", 128, ch=8, shortcut="conv3x3")


@pytest.mark.parametrize(
    "build, options, message",
    [
        (
            build_generator,
            {"upsampling": "bilinear"},
            "Unknown resnet5_generator.upsampling 'bilinear'; use one of: nearest, zeros.",
        ),
        (
            build_generator,
            {"shortcut": "none_if_same_channels"},
            "Unknown resnet5_generator.shortcut 'none_if_same_channels'; use one of: auto, "
            "conv3x3.",
        ),
        (
            build_discriminator,
            {"shortcut": "identity"},
            "Unknown resnet5_discriminator.shortcut 'identity'; use one of: auto, conv3x3, "
            "none_if_same_channels.",
        ),
    ],
)
def test_bad_upsampling_or_shortcut_is_a_config_error(clean_gin, build, options, message):
    with pytest.raises(ConfigError) as error:
        build("resnet5", 128, ch=4, **options)
    assert message in str(error.value)
