"""A generator module samples each truncation threshold with batch-norm statistics matched to it."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from compare_gan_tf.architectures import build_generator
from compare_gan_tf.architectures.latents import sample_z
from compare_gan_tf.export import export_generator
from compare_gan_tf.export.hub import TRUNCATION_THRESHOLDS
from compare_gan_tf.layers.normalization import batch_norm_layers
from compare_gan_tf.training.ema import standing_statistics

NUM_CLASSES, Z_DIM = 10, 16


def _set_statistics(generator, truncation):
    """Standing statistics of G from 4 fixed batches of z truncated at `truncation`."""
    batches = [
        (
            sample_z([32, Z_DIM], tf.constant([3, i], tf.int64), "normal", truncation),
            tf.range(32) % NUM_CLASSES,
        )
        for i in range(4)
    ]
    standing_statistics(generator, batches)


def _images_01(generator, z, labels):
    images = (generator(z, labels, training=False).numpy() + 1.0) / 2.0
    return np.tile(np.clip(images, 0.0, 1.0), [1, 1, 1, 3])


@pytest.fixture(scope="module")
def generator_and_modules(tmp_path_factory):
    root = tmp_path_factory.mktemp("truncation")
    tf.keras.utils.set_random_seed(0)
    generator = build_generator(
        "sndcgan", 32, num_classes=NUM_CLASSES, channels=1, ch=8, z_dim=Z_DIM
    )
    generator(tf.zeros([1, Z_DIM]), tf.zeros([1], tf.int32))
    assert batch_norm_layers(generator)
    matched = export_generator(
        generator,
        root / "matched",
        standing_statistics=lambda truncation: _set_statistics(generator, truncation),
    )
    plain = export_generator(generator, root / "plain")
    return generator, hub.load(str(matched)), hub.load(str(plain))


@pytest.mark.parametrize(
    "truncation, tabulated",
    [(0.5, 0.5), (2.0, 2.0), (0.3, 0.5), (0.1, 0.25), (3.0, None), (float("inf"), None)],
)
def test_sample_uses_the_statistics_of_its_threshold(generator_and_modules, truncation, tabulated):
    generator, matched, _ = generator_and_modules
    out = matched.sample(8, truncation, 7)
    _set_statistics(generator, tabulated)
    expected = _images_01(generator, out["z"], out["labels"])
    np.testing.assert_allclose(out["generated"], expected, rtol=0, atol=1e-5)
    if tabulated is not None:
        # The matched statistics change the images: the check above is not vacuous.
        _set_statistics(generator, None)
        untruncated = _images_01(generator, out["z"], out["labels"])
        assert np.abs(out["generated"].numpy() - untruncated).max() > 1e-3


def test_calling_the_module_keeps_the_untruncated_statistics(generator_and_modules):
    generator, matched, _ = generator_and_modules
    matched.sample(4, 0.25, 1)  # swaps statistics in and must put the untruncated ones back
    z = tf.random.stateless_normal([4, Z_DIM], [5, 5])
    labels = tf.constant([0, 3, 6, 9])
    _set_statistics(generator, None)
    np.testing.assert_allclose(
        matched(z, labels)["generated"], _images_01(generator, z, labels), rtol=0, atol=1e-5
    )
    np.testing.assert_allclose(matched.truncation_thresholds.numpy(), TRUNCATION_THRESHOLDS)


def test_without_tabulated_statistics_every_threshold_uses_the_exported_ones(
    generator_and_modules,
):
    generator, _, plain = generator_and_modules
    assert plain.truncation_thresholds.numpy().size == 0
    out = plain.sample(8, 0.5, 7)
    # The plain module was exported right after the matched one, whose export ended on the
    # untruncated statistics.
    _set_statistics(generator, None)
    np.testing.assert_allclose(
        out["generated"], _images_01(generator, out["z"], out["labels"]), rtol=0, atol=1e-5
    )
