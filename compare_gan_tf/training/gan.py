"""One GAN training step: `disc_iters` D updates on fresh real batches, then one G update, then EMA.

Runs under any tf.distribute strategy. Every replica computes its loss as a mean over its own
examples divided by the number of replicas; Keras optimizers sum gradients over replicas, so the
update equals the one for the mean over the global batch. With `accumulation_steps` k, each
replica splits its batch into k micro-batches and applies the mean of their gradients once.
"""

import gin
import tensorflow as tf

from compare_gan_tf.architectures.latents import check_z_prior, sample_z
from compare_gan_tf.layers import SpectralNormalization
from compare_gan_tf.training.config import ConfigError
from compare_gan_tf.training.ema import GeneratorAverage
from compare_gan_tf.training.optimizers import adam

# Offsets that give the latents of each D update and of the G update their own random stream.
_G_STREAM = 1000


def check_accumulation(accumulation_steps, replica_batch_size):
    """k micro-batches need a per-replica batch that k divides."""
    if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int):
        accumulation_steps = None
    if not accumulation_steps or accumulation_steps < 1 or replica_batch_size % accumulation_steps:
        raise ConfigError(
            f"GAN.accumulation_steps must be a positive integer that divides the per-replica "
            f"batch ({replica_batch_size}); bind e.g. GAN.accumulation_steps = 1 (off) or change "
            "the batch size."
        )


def check_jit_compile(jit_compile, strategy):
    """XLA cannot read MirroredStrategy's per-device variables from one compiled step."""
    mirrored = (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy)
    if jit_compile and isinstance(strategy, mirrored):
        raise ConfigError(
            f"GAN.jit_compile = True does not work with {type(strategy).__name__}: XLA cannot "
            "read the per-device copies of its variables. Set GAN.jit_compile = False, or use "
            "one device or a TPU (TPUStrategy compiles with XLA anyway)."
        )


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

    `accumulation_steps` k > 1 splits each replica's batch (real images and latents) into k
    micro-batches and applies the mean of their gradients once per update: for models without
    batch statistics this is exactly the update of the whole batch. Spectral norm's power
    iteration advances once per update: every micro-batch starts from the same u, so all see
    the same sigma. Batch norm normalizes each micro-batch by its own statistics (as on a
    replica of a k times smaller batch) and its moving averages take one momentum step per
    micro-batch (k per update; they are recomputed before sampling anyway). Other state the
    objective keeps (ADA's p, LeCam's averages) is also updated per micro-batch, and terms that
    pair examples (mode seeking, PacGAN) pair them within a micro-batch.
    `jit_compile=True` compiles each replica's D and G update with XLA.
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
        accumulation_steps=1,
        jit_compile=False,
    ):
        check_z_prior(z_prior)
        check_jit_compile(jit_compile, strategy)
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
        replica_batch = global_batch_size // strategy.num_replicas_in_sync
        check_accumulation(accumulation_steps, replica_batch)
        check_replica_batch(objective, replica_batch // accumulation_steps, num_classes)
        self.accumulation_steps = accumulation_steps
        self._d_update, self._g_update = self._d_apply, self._g_apply
        if jit_compile and not isinstance(strategy, tf.distribute.TPUStrategy):
            # TPUStrategy compiles every step with XLA anyway; elsewhere a nested function call
            # that XLA compiles. The latents are drawn outside it: XLA's stateless random ops
            # use another algorithm, and the draws must not depend on the switch.
            self._d_update = tf.function(self._d_apply, jit_compile=True)
            self._g_update = tf.function(self._g_apply, jit_compile=True)
        self.power_iteration_vectors = [
            variable
            for model in (generator, discriminator)
            for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, SpectralNormalization)
            for variable in layer.non_trainable_variables
        ]
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

    def _accumulated_update(self, optimizer, variables, loss_fn, batch):
        """Applies the gradient of loss_fn's mean over `accumulation_steps` micro-batches of
        `batch` (a tuple of tensors or None, split along axis 0); returns the mean metrics.

        loss_fn(*micro_batch) -> (loss, metrics). Before every micro-batch after the first, the
        power-iteration vectors go back to their values at the start of the update.
        """
        k = self.accumulation_steps

        def gradients_of(index):
            micro = [None if part is None else _micro_batch(part, index, k) for part in batch]
            with tf.GradientTape() as tape:
                loss, metrics = loss_fn(*micro)
                scaled = self._scaled(optimizer, loss) / k
            gradients = tape.gradient(scaled, variables)
            gradients = [
                tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                for g, v in zip(gradients, variables)
            ]
            return gradients, {name: value / k for name, value in metrics.items()}

        start = [tf.identity(variable) for variable in self.power_iteration_vectors if k > 1]
        gradients, metrics = gradients_of(0)
        # A Python loop: under MirroredStrategy, u's assignment synchronizes the replicas, which
        # TensorFlow does not allow inside a graph loop.
        for index in range(1, k):
            for variable, value in zip(self.power_iteration_vectors, start):
                variable.assign(value)
            more, more_metrics = gradients_of(index)
            gradients = [g + m for g, m in zip(gradients, more)]
            metrics = {name: metrics[name] + more_metrics[name] for name in metrics}
        optimizer.apply_gradients(zip(gradients, variables))
        return metrics

    def _d_step(self, images, labels, stream):
        z, fake_labels = self._replica_latents(stream)
        return self._d_update(images, labels, z, fake_labels, stream)

    def _d_apply(self, images, labels, z, fake_labels, stream):
        def loss_fn(images, labels, z, fake_labels):
            monitor = {}
            loss, parts = self.objective.discriminator_loss(
                self._d_fn,
                self._g_fn,
                images,
                labels,
                z,
                self.discriminator.trainable_variables,
                fake_labels,
                monitor,
                step=self.step * self.disc_iters + stream,
            )
            return loss, {"d_loss": loss, **parts, **monitor}

        return self._accumulated_update(
            self.d_optimizer,
            self.discriminator.trainable_variables,
            loss_fn,
            (images, labels, z, fake_labels),
        )

    def _g_step(self):
        z, fake_labels = self._replica_latents(_G_STREAM)
        return self._g_update(z, fake_labels)

    def _g_apply(self, z, fake_labels):
        variables = self.generator.trainable_variables

        def loss_fn(z, fake_labels):
            loss, parts = self.objective.generator_loss(
                self._d_fn, self._g_fn, z, fake_labels, variables
            )
            return loss, {"g_loss": loss, **parts}

        metrics = self._accumulated_update(self.g_optimizer, variables, loss_fn, (z, fake_labels))
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
            stream = tf.constant(stream, tf.int64)
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


def _micro_batch(tensor, index, count):
    """Micro-batch `index` of `count` equal ones along axis 0."""
    size = tf.shape(tensor)[0] // count
    return tensor[index * size : (index + 1) * size]
