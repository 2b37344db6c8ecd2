"""Standing statistics and samples computed by every replica equal those of one device."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.layers.normalization import batch_norm_layers
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.ema import standing_statistics
from compare_gan_tf.training.experiment import build_gan
from compare_gan_tf.training.sampling import (
    SAMPLE_SEED,
    STANDING_BATCHES,
    fixed_samples,
    prepare_sampling,
)

BATCH = 8


def _dcgan(strategy=None):
    """A conditional DCGAN with batch norm in G (cross-replica under several replicas)."""
    return build_gan(
        "dcgan",
        32,
        num_classes=3,
        channels=1,
        batch_size=BATCH,
        strategy=strategy,
        objective=GANObjective(loss="hinge"),
        generator_options=dict(ch=4),
        discriminator_options=dict(ch=4),
    )


def _statistics(gan):
    return [
        variable.numpy()
        for layer in batch_norm_layers(gan.ema.average)
        for variable in (layer.moving_mean, layer.moving_variance)
    ]


@pytest.mark.slow  # about 80 s: four replicas trace G
def test_four_replicas_sample_like_one_device(mirrored_strategy):
    single, distributed = _dcgan(), _dcgan(mirrored_strategy)
    for source, target in zip(single.ema.average.weights, distributed.ema.average.weights):
        target.assign(source.numpy())
    # The reference: the eager, one-device standing statistics from the same latents.
    batches = [
        single.sample_latents(BATCH, tf.constant([SAMPLE_SEED[0], 100 + i], tf.int64))
        for i in range(STANDING_BATCHES)
    ]
    standing_statistics(single.ema.average, batches)
    reference = _statistics(single)
    prepare_sampling(distributed)
    assert len(reference) == 8
    for expected, got in zip(reference, _statistics(distributed)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # 10 samples over 4 replicas: the programs pad to 12 and keep the first 10.
    one, four = fixed_samples(single, 10), fixed_samples(distributed, 10)
    assert one.shape == four.shape == (10, 32, 32, 1)
    np.testing.assert_allclose(four, one, atol=1e-5)
    assert np.std(one) > 1e-3  # not a constant image
