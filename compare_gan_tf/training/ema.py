"""Exponential moving average of the generator's weights, and its batch-norm statistics."""

import tensorflow as tf

from compare_gan_tf.layers.normalization import batch_norm_layers


class GeneratorAverage:
    """Keeps `average` (a second generator of the same architecture) as an EMA of `generator`.

    theta_ema <- decay * theta_ema + (1 - decay) * theta, from `start_step` on; before it the
    average is a copy (BigGAN, Brock et al. 2019 section 4: decay 0.9999, start at step 20k).
    Non-trainable state (batch-norm statistics, power-iteration vectors) is copied from the
    generator; call `standing_statistics` before sampling so the averaged weights get their own
    batch-norm statistics (compare_gan's hub modules sampled garbage without them, its issue 31).
    """

    def __init__(self, generator, average, decay=0.9999, start_step=0):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}.")
        if len(generator.weights) != len(average.weights):
            raise ValueError(
                "The averaged generator must have the generator's architecture; build both with "
                "the same options and call each once before creating GeneratorAverage."
            )
        self.generator = generator
        self.average = average
        self.decay = decay
        self.start_step = start_step

    def update(self, step):
        """Moves the average towards the generator; `step` is the number of G updates so far."""
        decay = tf.where(step >= self.start_step, self.decay, 0.0)
        for source, target in zip(self.generator.trainable_weights, self.average.trainable_weights):
            target.assign(decay * target + (1.0 - decay) * source)
        self.copy_state()

    def copy_state(self):
        """Copies the non-trainable state (BN moving statistics, SN u vectors)."""
        pairs = zip(self.generator.non_trainable_weights, self.average.non_trainable_weights)
        for source, target in pairs:
            target.assign(source)

    def copy_weights(self):
        """Makes the average an exact copy of the generator (used at step 0)."""
        for source, target in zip(self.generator.weights, self.average.weights):
            target.assign(source)


def standing_statistics(generator, batches):
    """Sets every BN's moving mean and variance to the average of its batch moments.

    `batches` yields argument tuples for `generator(*args, training=True)`, e.g. (z, labels).
    Batch k uses momentum (k-1)/k, so after N batches the moving statistics are the plain mean
    of the N batch means and batch variances (BigGAN's "standing statistics", section 4/appx.).
    Returns the number of batches used.
    """
    layers = batch_norm_layers(generator)
    momenta = [layer.momentum for layer in layers]
    count = 0
    try:
        for count, arguments in enumerate(batches, start=1):
            for layer in layers:
                layer.momentum = (count - 1) / count
            generator(*arguments, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    if count == 0:
        raise ValueError("standing_statistics needs at least one batch of generator inputs.")
    return count
