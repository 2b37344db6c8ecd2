"""Residual blocks: wiring against numpy up/down-sampling, shortcuts, and distributed runs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.layers import (
    DiscriminatorBottleneckBlock,
    DiscriminatorResBlock,
    GeneratorBottleneckBlock,
    GeneratorResBlock,
    SpectralNormalization,
)


def _nearest_upsample(x):
    """numpy nearest-neighbour x2: every pixel becomes a 2x2 block of copies."""
    return np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)


def _average_pool(x):
    """numpy 2x2 average pooling with stride 2."""
    batch, height, width, channels = x.shape
    return x.reshape(batch, height // 2, 2, width // 2, 2, channels).mean(axis=(2, 4))


def _relu(x):
    return np.maximum(x, 0.0)


def _images(batch=2, size=8, channels=4):
    return np.random.randn(batch, size, size, channels).astype("float32")


def _zero_layer(layer):
    for variable in layer.trainable_variables:
        variable.assign(tf.zeros_like(variable))


def test_generator_block_upsamples_by_nearest_neighbour_with_a_1x1_shortcut():
    block = GeneratorResBlock(6, normalization="none")
    x = _images()
    out = block(x).numpy()
    conv1, conv2, shortcut = block.conv1, block.conv2, block.shortcut
    residual = conv2(_relu(conv1(_nearest_upsample(_relu(x))).numpy())).numpy()
    expected = residual + shortcut(_nearest_upsample(x)).numpy()
    assert out.shape == (2, 16, 16, 6)
    assert shortcut.kernel.shape == (1, 1, 4, 6)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_generator_block_without_change_keeps_an_identity_shortcut():
    block = GeneratorResBlock(4, upsample=False, normalization="none")
    x = _images()
    block(x)
    assert block.shortcut is None
    _zero_layer(block.conv2)
    np.testing.assert_allclose(block(x).numpy(), x, atol=1e-6)


def test_conditional_generator_block_needs_and_uses_labels():
    block = GeneratorResBlock(6, normalization="conditional", num_classes=3)
    x = _images()
    first = block(x, np.array([0, 1]), training=True).numpy()
    block.norm1.beta.embeddings.assign(np.ones((3, 4), "float32"))
    second = block(x, np.array([0, 1]), training=True).numpy()
    assert not np.allclose(first, second)
    with pytest.raises(ValueError, match="needs a condition"):
        block(x, training=True)


def test_optimized_discriminator_block_never_applies_relu_to_the_input():
    block = DiscriminatorResBlock(5, optimized=True)
    x = _images()
    out = block(x).numpy()
    residual = block.conv2(_relu(block.conv1(x).numpy())).numpy()
    expected = _average_pool(residual) + block.shortcut(_average_pool(x)).numpy()
    assert out.shape == (2, 4, 4, 5)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_discriminator_block_pools_after_its_1x1_shortcut():
    block = DiscriminatorResBlock(6)
    x = _images()
    out = block(x).numpy()
    residual = block.conv2(_relu(block.conv1(_relu(x)).numpy())).numpy()
    expected = _average_pool(residual) + _average_pool(block.shortcut(x).numpy())
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_discriminator_block_without_change_keeps_an_identity_shortcut():
    block = DiscriminatorResBlock(4, downsample=False)
    x = _images()
    block(x)
    assert block.shortcut is None
    _zero_layer(block.conv2)
    np.testing.assert_allclose(block(x).numpy(), x, atol=1e-6)


@pytest.mark.parametrize("normalization", ["layer", "batch"])
def test_discriminator_block_normalization_changes_the_output(normalization):
    x = _images()
    plain = DiscriminatorResBlock(4, downsample=False)
    normalized = DiscriminatorResBlock(4, downsample=False, normalization=normalization)
    plain(x)
    normalized(x, training=True)
    # Same convolution weights: only the normalization differs.
    for conv_plain, conv_normalized in [
        (plain.conv1, normalized.conv1),
        (plain.conv2, normalized.conv2),
    ]:
        conv_normalized.set_weights(conv_plain.get_weights())
    assert not np.allclose(plain(x).numpy(), normalized(x, training=True).numpy(), atol=1e-3)


def test_generator_bottleneck_shortcut_drops_channels_and_upsamples():
    block = GeneratorBottleneckBlock(4, normalization="none")
    x = _images(channels=8)
    assert block(x).shape == (2, 16, 16, 4)
    _zero_layer(block.convs[-1])
    np.testing.assert_allclose(block(x).numpy(), _nearest_upsample(x[..., :4]), atol=1e-6)
    assert [conv.kernel.shape[-1] for conv in block.convs] == [2, 2, 2, 4]


def test_discriminator_bottleneck_shortcut_adds_learned_channels():
    block = DiscriminatorBottleneckBlock(8)
    x = _images(channels=4)
    assert block(x).shape == (2, 4, 4, 8)
    _zero_layer(block.convs[-1])
    pooled = _average_pool(x)
    expected = np.concatenate([pooled, block.shortcut(pooled).numpy()], axis=-1)
    np.testing.assert_allclose(block(x).numpy(), expected, atol=1e-5)


def test_bottleneck_blocks_reject_impossible_channel_counts():
    with pytest.raises(ValueError, match="must not exceed the input channels"):
        GeneratorBottleneckBlock(16, normalization="none")(_images(channels=8))
    with pytest.raises(ValueError, match="must be at least the input channels"):
        DiscriminatorBottleneckBlock(4)(_images(channels=8))


@pytest.mark.parametrize(
    "make_block",
    [
        lambda: GeneratorResBlock(4, normalization="none", spectral_norm="sn"),
        lambda: DiscriminatorResBlock(4, spectral_norm="bssn", sn_scale=1.5),
        lambda: DiscriminatorBottleneckBlock(8, spectral_norm="sn"),
    ],
)
def test_spectral_norm_option_wraps_every_convolution(make_block):
    block = make_block()
    block(_images(channels=4))
    layers = list(block._flatten_layers())
    convs = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    wrapped = [layer for layer in layers if isinstance(layer, SpectralNormalization)]
    assert wrapped
    assert all(any(conv is w.layer for w in wrapped) for conv in convs)


def test_generator_block_with_cross_replica_bn_matches_one_device(mirrored_strategy):
    """4 replicas x 2 images with synchronized BN equal one device on the batch of 8."""
    x = _images(batch=8)
    labels = np.arange(8) % 3
    single = GeneratorResBlock(6, normalization="conditional", num_classes=3)
    single(x, labels, training=False)
    with mirrored_strategy.scope():
        distributed = GeneratorResBlock(
            6, normalization="conditional", num_classes=3, synchronized=True
        )
        distributed(x, labels, training=False)
        distributed.set_weights(single.get_weights())

    def per_replica(context):
        index = context.replica_id_in_sync_group
        return x[2 * index : 2 * index + 2], labels[2 * index : 2 * index + 2]

    inputs = mirrored_strategy.experimental_distribute_values_from_function(per_replica)

    @tf.function
    def step(images_and_labels):
        images, replica_labels = images_and_labels
        return mirrored_strategy.run(
            lambda i, y: distributed(i, y, training=True), args=(images, replica_labels)
        )

    outputs = np.concatenate(
        [o.numpy() for o in mirrored_strategy.experimental_local_results(step(inputs))]
    )
    np.testing.assert_allclose(outputs, single(x, labels, training=True).numpy(), atol=1e-5)
