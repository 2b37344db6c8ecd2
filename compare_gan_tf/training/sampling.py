"""Sampling the EMA generator: standing BN statistics from fixed latents, samples, sample grids.

Both run as one compiled program each under the GAN's strategy: every replica draws its slice
of the latents (as in training), and G's cross-replica batch norms see the whole batch.
"""

import contextlib
import os
import weakref

import tensorflow as tf

from compare_gan_tf.layers.normalization import batch_norm_layers

SAMPLE_SEED = (2019, 11)
STANDING_BATCHES = 8


def _replica_slice(tensor):
    """This replica's equal share of `tensor` along axis 0 (None stays None)."""
    if tensor is None:
        return None
    context = tf.distribute.get_replica_context()
    size = tf.shape(tensor)[0] // context.num_replicas_in_sync
    return tensor[context.replica_id_in_sync_group * size :][:size]


class _Programs:
    """The compiled sampling programs of one GAN (traced once per truncation and count)."""

    def __init__(self, gan):
        self.gan = gan
        self.statistics = [
            variable
            for layer in batch_norm_layers(gan.ema.average)
            for variable in (layer.moving_mean, layer.moving_variance)
        ]
        self.standing = tf.function(self._standing)
        self.standing_then_sample = tf.function(self._standing_then_sample)
        self.generate = tf.function(self._generate, reduce_retracing=True)

    def _standing(self, seed, batches, truncation):
        """Sets each BN's moving statistics to the mean of its moments over `batches` batches.

        Traced with every BN's momentum at 0, so a training call leaves the batch's moments in
        the moving statistics; the loop adds them up (BigGAN's "standing statistics").
        """
        gan = self.gan
        if not self.statistics:
            return

        def forward(z, labels):
            gan.ema.average(_replica_slice(z), _replica_slice(labels), training=True)

        totals = [tf.zeros_like(variable) for variable in self.statistics]
        for index in tf.range(batches, dtype=tf.int64):
            batch_seed = tf.stack([seed[0], 100 + index])
            latents = gan.sample_latents(gan.global_batch_size, batch_seed, truncation)
            gan.strategy.run(forward, args=latents)
            totals = [total + variable for total, variable in zip(totals, self.statistics)]
        for variable, total in zip(self.statistics, totals):
            variable.assign(total / batches)

    def _standing_then_sample(self, seed, count):
        self._standing(seed, STANDING_BATCHES, None)
        return self._sample(seed, count)

    def _sample(self, seed, count):
        """`count` eval-mode outputs, each replica generating its share; labels cycle through
        the classes (one class per column of a 10-wide grid)."""
        gan = self.gan
        replicas = gan.strategy.num_replicas_in_sync
        padded = -(-count // replicas) * replicas
        z, labels = gan.sample_latents(padded, seed)
        if labels is not None:
            labels = tf.range(padded) % gan.num_classes
        return self._generate(z, labels)[:count]

    def _generate(self, z, labels):
        """The EMA generator's eval-mode outputs for z (and labels), each replica generating its
        share; a batch that the replicas do not divide is padded with zeros, then cut."""
        gan = self.gan
        count = tf.shape(z)[0]
        pad = -count % gan.strategy.num_replicas_in_sync
        z = tf.pad(z, [[0, pad], [0, 0]])
        if labels is not None:
            labels = tf.pad(labels, [[0, pad]])

        def generate(z, labels):
            return gan.ema.average(_replica_slice(z), _replica_slice(labels), training=False)

        outputs = gan.strategy.run(generate, args=(z, labels))
        return gan.strategy.gather(outputs, axis=0)[:count]


_PROGRAMS = weakref.WeakKeyDictionary()


def _programs(gan):
    if gan not in _PROGRAMS:
        _PROGRAMS[gan] = _Programs(gan)
    return _PROGRAMS[gan]


@contextlib.contextmanager
def _momentum_zero(gan):
    """Every BN of the EMA generator at momentum 0, the value the sampling programs are traced
    with (a Python attribute, read only when a program is traced)."""
    layers = batch_norm_layers(gan.ema.average)
    momenta = [layer.momentum for layer in layers]
    try:
        for layer in layers:
            layer.momentum = 0.0
        yield
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum


def prepare_sampling(gan, seed=SAMPLE_SEED, standing_batches=STANDING_BATCHES, truncation=None):
    """Recomputes the EMA generator's BN statistics from fixed latents ("standing statistics").

    Fixed seeds make the statistics, and so the samples, a function of the weights alone.
    With `truncation`, the latents are truncated too, so sampling at a threshold uses the
    statistics of the z it will see (BigGAN, appendix C: statistics matched to the truncation).
    """
    if truncation is not None:
        truncation = tf.constant(truncation, tf.float32)
    with _momentum_zero(gan):
        _programs(gan).standing(tf.constant(seed, tf.int64), standing_batches, truncation)


def fixed_samples(gan, count, seed=SAMPLE_SEED):
    """`count` outputs of the EMA generator from fixed latents, after recomputing its BN
    statistics, in one program.

    The same seed gives the same z and labels at every step, so grids show progress.
    """
    with _momentum_zero(gan):
        samples = _programs(gan).standing_then_sample(tf.constant(seed, tf.int64), count)
    return samples.numpy()


def generate(gan, z, labels=None):
    """The EMA generator's eval-mode outputs for z and labels (tensors), in one compiled program
    under the GAN's strategy; call prepare_sampling first for its standing statistics."""
    return _programs(gan).generate(z, labels)


def write_sample_grid(gan, kind, model_dir, step, write_files=True):
    """Draws `kind.grid_size` fixed samples; writes their picture (a grid of images, a scatter
    plot of points) to samples/step_<N>.png (N: `step`, the G steps trained) and
    samples/latest.png when `write_files`. Returns (that path or None, the samples).

    Every task samples (so all keep the same EMA statistics); only the chief writes files.
    """
    samples = fixed_samples(gan, kind.grid_size)
    if not write_files:
        return None, samples
    directory = os.path.join(model_dir, "samples")
    tf.io.gfile.makedirs(directory)
    path = os.path.join(directory, f"step_{step:07d}.png")
    for target in (path, os.path.join(directory, "latest.png")):
        kind.save_picture(samples, target, step)
    return path, samples
