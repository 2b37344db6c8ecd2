"""Gradient accumulation: k micro-batches give the update of one k times larger batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.experiment import build_gan

BATCH = 16
# float32 sums of 4 partial gradients differ from one sum in the last bits.
TOLERANCE = 1e-5


def _sn_dcgan(accumulation_steps, strategy=None):
    """An unconditional SN DCGAN without batch norm (SN in G and D), ch 4, 32 px grey."""
    return build_gan(
        "dcgan",
        32,
        channels=1,
        batch_size=BATCH,
        strategy=strategy,
        objective=GANObjective(loss="hinge"),
        # SGD: its step is proportional to the gradient, so a wrong scale shows in the weights.
        g_optimizer=lambda: keras.optimizers.SGD(0.1),
        d_optimizer=lambda: keras.optimizers.SGD(0.1),
        generator_options=dict(ch=4, normalization="none", spectral_norm="sn"),
        discriminator_options=dict(ch=4, normalization="spectral"),
        accumulation_steps=accumulation_steps,
    )


def _variables(gan):
    return [*gan.generator.weights, *gan.discriminator.weights]


def _one_step(gan, images):
    dataset = tf.data.Dataset.from_tensors((images, tf.zeros([BATCH], tf.int32))).repeat()
    iterator = iter(gan.strategy.experimental_distribute_dataset(dataset))
    gan.train(iterator, tf.constant(1))
    return [v.numpy() for v in _variables(gan)]


def _accumulated_and_whole(accumulation_steps, strategy=None):
    whole = _sn_dcgan(1)
    accumulated = _sn_dcgan(accumulation_steps, strategy)
    for source, target in zip(_variables(whole), _variables(accumulated)):
        target.assign(source.numpy())
    initial_u = [v.numpy() for v in whole.power_iteration_vectors]
    images = tf.random.stateless_uniform([BATCH, 32, 32, 1], [3, 4], minval=-1.0, maxval=1.0)
    return _one_step(accumulated, images), _one_step(whole, images), initial_u, whole


def test_four_accumulated_micro_batches_equal_one_batch():
    accumulated, whole, initial_u, gan = _accumulated_and_whole(4)
    differences = [np.max(np.abs(a - w)) for a, w in zip(accumulated, whole)]
    print(f"max abs difference over {len(differences)} variables: {max(differences):.3g}")
    assert max(differences) < TOLERANCE
    # u advanced (once per update, as in the one-batch run it equals).
    moved = [np.max(np.abs(u - v.numpy())) for u, v in zip(initial_u, gan.power_iteration_vectors)]
    assert len(moved) >= 8 and min(moved) > 1e-3


@pytest.mark.slow  # about 2 minutes: four replicas trace the step
def test_accumulation_under_mirrored_strategy_equals_one_batch(mirrored_strategy):
    accumulated, whole, _, _ = _accumulated_and_whole(2, mirrored_strategy)
    differences = [np.max(np.abs(a - w)) for a, w in zip(accumulated, whole)]
    print(f"max abs difference over {len(differences)} variables: {max(differences):.3g}")
    assert max(differences) < TOLERANCE


def test_accumulation_must_divide_the_replica_batch():
    with pytest.raises(ConfigError, match=r"GAN.accumulation_steps .* per-replica batch \(16\)"):
        _sn_dcgan(3)
