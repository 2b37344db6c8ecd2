"""One GAN training step: `disc_iters` D updates on fresh real batches, then one G update, then EMA.

Runs under any tf.distribute strategy. Every replica computes its loss as a mean over its own
examples divided by the number of replicas; Keras optimizers sum gradients over replicas, so the
update equals the one for the mean over the global batch.
"""

import gin
import keras
import tensorflow as tf

from compare_gan_tf.architectures.latents import check_z_prior, sample_z
from compare_gan_tf.training.config import ConfigError
from compare_gan_tf.training.ema import GeneratorAverage

# Offsets that give the latents of each D update and of the G update their own random stream.
_G_STREAM = 1000


@gin.configurable
def adam(learning_rate=2e-4, beta1=0.5, beta2=0.999, decay_steps=None):
    """Adam, with a linear decay of the learning rate to 0 over `decay_steps` when it is set.

    Defaults are compare_gan's (Kurach et al. 2019); WGAN-GP used beta1=0, beta2=0.9 with the
    linear decay, BigGAN beta1=0, beta2=0.999 and two time-scale rates (G 5e-5, D 2e-4).
    """
    if decay_steps:
        learning_rate = keras.optimizers.schedules.PolynomialDecay(
            learning_rate, decay_steps, end_learning_rate=0.0
        )
    return keras.optimizers.Adam(learning_rate, beta_1=beta1, beta_2=beta2)


def check_replica_batch(objective, replica_batch_size, num_classes):
    """PacGAN needs an unconditional model and a per-replica batch divisible by its m; mode
    seeking pairs the halves of the per-replica batch, so it must be even."""
    if objective.mode_seeking_weight and replica_batch_size % 2:
        raise ValueError(
            f"GANObjective.mode_seeking_weight pairs the two halves of the per-replica batch "
            f"({replica_batch_size}), which must be even; change the batch size."
        )
    packing = objective.packing
    if packing > 1 and num_classes:
        raise ValueError(
            f"GANObjective.packing = {packing} (PacGAN) needs an unconditional model: packed "
            "samples have no single label. Set Experiment.conditional = False."
        )
    if replica_batch_size % packing:
        raise ValueError(
            f"GANObjective.packing = {packing} must divide the per-replica batch "
            f"({replica_batch_size}); change the batch size or the packing."
        )


def _indexed(variables):
    """{"0007": variable, ...}: keys that stay the same however Keras uniquified the names."""
    return {f"{i:04d}": v for i, v in enumerate(variables)}


def _check_counts(global_batch_size, replicas, disc_iters, ema_start_step):
    if global_batch_size % replicas:
        below = global_batch_size - global_batch_size % replicas
        fits = f"{below} or {below + replicas}" if below else f"{replicas}"
        raise ConfigError(
            f"Experiment.batch_size = {global_batch_size} (the global batch) must be a multiple "
            f"of the {replicas} replicas, each of which takes an equal share; use {fits}."
        )
    if isinstance(disc_iters, bool) or not isinstance(disc_iters, int) or disc_iters < 1:
        raise ConfigError(
            f"GAN.disc_iters must be an integer number of D updates per G update (at least 1); "
            f"got {disc_iters!r}."
        )
    if isinstance(ema_start_step, bool) or not isinstance(ema_start_step, int):
        raise ConfigError(f"GAN.ema_start_step must be an integer step; got {ema_start_step!r}.")
    if ema_start_step < 0:
        raise ConfigError(f"GAN.ema_start_step must be a step >= 0; got {ema_start_step!r}.")


@gin.configurable
class GAN:
    """Owns G, D, the EMA generator, their optimizers and the step counter (G updates).

    `objective` is an `objectives.GANObjective`: its `discriminator_loss` and `generator_loss`
    return (loss, dict of named scalar parts). Create the GAN inside `strategy.scope()`.
    """

    def __init__(
        self,
        generator,
        discriminator,
        ema_generator,
        objective,
        strategy,
        global_batch_size,
        z_dim,
        num_classes=None,
        disc_iters=1,
        g_optimizer=gin.REQUIRED,
        d_optimizer=gin.REQUIRED,
        ema_decay=0.9999,
        ema_start_step=0,
        z_prior="normal",
        seed=0,
    ):
        check_z_prior(z_prior)
        _check_counts(global_batch_size, strategy.num_replicas_in_sync, disc_iters, ema_start_step)
        if not 0.0 <= ema_decay < 1.0:
            raise ConfigError(f"GAN.ema_decay must be in [0, 1); got {ema_decay!r}.")
        self.generator, self.discriminator, self.objective = generator, discriminator, objective
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.strategy, self.global_batch_size = strategy, global_batch_size
        self.z_dim, self.z_prior, self.num_classes = z_dim, z_prior, num_classes
        self.disc_iters, self.seed = disc_iters, seed
        self.ema = GeneratorAverage(generator, ema_generator, ema_decay, ema_start_step)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
        check_replica_batch(
            objective, global_batch_size // strategy.num_replicas_in_sync, num_classes
        )
        objective.build(global_batch_size)
        # Keras 3 under tf.distribute: build the optimizers in the strategy scope first.
        self.g_optimizer.build(generator.trainable_variables)
        self.d_optimizer.build(discriminator.trainable_variables)
        self.mine_optimizer = None
        if getattr(objective, "mine", None) is not None:
            z, labels = self.sample_latents(2, tf.constant([0, 0], tf.int64))
            objective.mine.mutual_information(generator(z, labels), z)  # builds its weights
            self.mine_optimizer = adam()
            self.mine_optimizer.build(objective.mine.trainable_variables)
        self.ema.copy_weights()

    def checkpoint_items(self):
        """Everything a resumed run needs, for tf.train.Checkpoint, as flat variable lists.

        Keras 3 layers held in Python lists are invisible to tf.train.Checkpoint's object graph,
        so the variables are listed explicitly, keyed by their position in `model.weights`.
        """
        items = dict(
            generator=_indexed(self.generator.weights),
            discriminator=_indexed(self.discriminator.weights),
            ema_generator=_indexed(self.ema.average.weights),
            g_optimizer=_indexed(self.g_optimizer.variables),
            d_optimizer=_indexed(self.d_optimizer.variables),
            step=self.step,
        )
        if self.objective.ada is not None:
            items["adaptive_augment"] = self.objective.ada
        if self.objective.lecam is not None:
            items["lecam"] = self.objective.lecam
        if self.mine_optimizer is not None:
            items["mine"] = _indexed(self.objective.mine.weights)
            items["mine_optimizer"] = _indexed(self.mine_optimizer.variables)
        return items

    def sample_latents(self, batch_size, seed, truncation=None):
        """z [B, z_dim] and uniform fake labels [B] (None when unconditional) from `seed`.

        `truncation` restricts z to [-t, t] (BigGAN's truncation trick), for sampling only.
        """
        z_seed, label_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        z = sample_z([batch_size, self.z_dim], z_seed, self.z_prior, truncation)
        labels = None
        if self.num_classes:
            labels = tf.random.stateless_uniform(
                [batch_size], label_seed, maxval=self.num_classes, dtype=tf.int32
            )
        return z, labels

    def _replica_latents(self, stream):
        """This replica's slice of the global batch of latents, so results do not depend on the
        number of replicas (4 x 8 examples draw exactly what 1 x 32 draws)."""
        seed = tf.stack([tf.cast(self.seed, tf.int64), self.step * 2000 + stream])
        z, labels = self.sample_latents(self.global_batch_size, seed)
        context = tf.distribute.get_replica_context()
        size = self.global_batch_size // context.num_replicas_in_sync
        start = context.replica_id_in_sync_group * size
        z = z[start : start + size]
        if labels is not None:
            labels = labels[start : start + size]
        return z, labels

    def _d_fn(self, images, labels):
        return self.discriminator(images, labels, training=True)

    def _g_fn(self, z, labels):
        return self.generator(z, labels, training=True)

    @staticmethod
    def _scaled(optimizer, loss):
        """The replica's share of the global-mean loss, times the optimizer's loss scale."""
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        return optimizer.scale_loss(loss / replicas)

    def _d_step(self, images, labels, stream):
        z, fake_labels = self._replica_latents(stream)
        variables = self.discriminator.trainable_variables
        monitor = {}
        with tf.GradientTape() as tape:
            loss, parts = self.objective.discriminator_loss(
                self._d_fn,
                self._g_fn,
                images,
                labels,
                z,
                variables,
                fake_labels,
                monitor,
                step=self.step * self.disc_iters + stream,
            )
            scaled = self._scaled(self.d_optimizer, loss)
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return {"d_loss": loss, **parts, **monitor}

    def _g_step(self):
        z, fake_labels = self._replica_latents(_G_STREAM)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            loss, parts = self.objective.generator_loss(
                self._d_fn, self._g_fn, z, fake_labels, variables
            )
            scaled = self._scaled(self.g_optimizer, loss)
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        metrics = {"g_loss": loss, **parts}
        if self.mine_optimizer is not None:
            metrics["mine_loss"] = self._mine_step(z, fake_labels)
        return metrics

    def _mine_step(self, z, labels):
        """Trains the MINE statistics network on fresh samples (Belghazi et al. 2018, Alg. 1).

        The samples come from G in training mode, the mode in which the G loss rewards G
        through the same network (eval-mode samples would train it on another distribution).
        """
        variables = self.objective.mine.trainable_variables
        fakes = self.generator(z, labels, training=True)
        with tf.GradientTape() as tape:
            loss = self.objective.mine_loss(fakes, z)
            scaled = self._scaled(self.mine_optimizer, loss)
        self.mine_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return loss

    def _one_step(self, iterator):
        metrics = {}
        for stream in range(self.disc_iters):
            images, labels = next(iterator)
            metrics.update(self.strategy.run(self._d_step, args=(images, labels, stream)))
        metrics.update(self.strategy.run(self._g_step))
        self.step.assign_add(1)
        self.ema.update(self.step)
        return {
            name: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
            for name, value in metrics.items()
        }

    @tf.function
    def train(self, iterator, steps):
        """Runs `steps` G updates (each after `disc_iters` D updates); returns the last metrics."""
        metrics = self._one_step(iterator)
        for _ in tf.range(steps - 1):
            metrics = self._one_step(iterator)
        return metrics
