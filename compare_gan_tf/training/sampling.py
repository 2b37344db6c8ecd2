"""Sampling the EMA generator: standing BN statistics from fixed latents, samples, sample files."""

import os

import tensorflow as tf

from compare_gan_tf.training.ema import standing_statistics

SAMPLE_SEED = (2019, 11)


def prepare_sampling(gan, seed=SAMPLE_SEED, standing_batches=8, truncation=None):
    """Recomputes the EMA generator's BN statistics from fixed latents ("standing statistics").

    Fixed seeds make the statistics, and so the samples, a function of the weights alone.
    With `truncation`, the latents are truncated too, so sampling at a threshold uses the
    statistics of the z it will see (BigGAN, appendix C: statistics matched to the truncation).
    """
    batches = (
        gan.sample_latents(
            gan.global_batch_size, tf.constant([seed[0], 100 + i], tf.int64), truncation
        )
        for i in range(standing_batches)
    )
    standing_statistics(gan.ema.average, batches)


def sample_images(gan, count, seed=SAMPLE_SEED):
    """`count` outputs of the EMA generator after recomputing its BN statistics.

    The same seed gives the same z and labels at every step, so grids show progress.
    """
    prepare_sampling(gan, seed)
    z, labels = gan.sample_latents(count, tf.constant(seed, tf.int64))
    if labels is not None:
        labels = tf.range(count) % gan.num_classes  # one class per column of a 10-wide grid
    return gan.ema.average(z, labels, training=False).numpy()


def write_samples(gan, kind, model_dir, write_files=True):
    """Draws `kind.grid_size` samples; writes samples/step_<N>.png and samples/latest.png
    when `write_files`. Returns (that path or None, the samples).

    Every task samples (so all keep the same EMA statistics); only the chief writes files.
    """
    samples = sample_images(gan, kind.grid_size)
    if not write_files:
        return None, samples
    directory = os.path.join(model_dir, "samples")
    tf.io.gfile.makedirs(directory)
    step = int(gan.step.numpy())
    path = os.path.join(directory, f"step_{step:07d}.png")
    for target in (path, os.path.join(directory, "latest.png")):
        kind.write_samples(samples, target, step)
    return path, samples
