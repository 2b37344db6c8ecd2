"""One GAN training step: `disc_iters` D updates on fresh real batches, then one G update, then EMA.

Runs under any tf.distribute strategy. Every replica computes its loss as a mean over its own
examples divided by the number of replicas; Keras optimizers sum gradients over replicas, so the
update equals the one for the mean over the global batch. With `accumulation_steps` k, each
replica splits its batch into k micro-batches and applies the mean of their gradients once.
"""

import tensorflow as tf

from compare_gan_tf.architectures.latents import check_z_prior, sample_z
from compare_gan_tf.objectives import seeds
from compare_gan_tf.objectives.self_supervision import build_heads
from compare_gan_tf.training import accumulation
from compare_gan_tf.training.ema import GeneratorAverage
from compare_gan_tf.training.gan_checks import (
    check_accumulation,
    check_counts,
    check_jit_compile,
    check_replica_batch,
    is_mirrored,
)
from compare_gan_tf.training.optimizers import mine_optimizer

# Offsets that give the latents of each D update and of the G update their own random stream.
_G_STREAM = 1000
# The stream of the objective's draws in MINE's update (it has no latents of its own).
_MINE_STREAM = _G_STREAM + 1


def _indexed(variables):
    """{"0007": variable, ...}: keys that stay the same however Keras uniquified the names."""
    return {f"{i:04d}": v for i, v in enumerate(variables)}


class GAN:
    """Owns G, D, the EMA generator, their optimizers and the step counter (G updates).

    `objective` is an `objectives.GANObjective`: its `discriminator_loss` and `generator_loss`
    return (loss, dict of named scalar parts). Create the GAN inside `strategy.scope()`.

    `accumulation_steps` k > 1 applies, per update, the mean gradient of k micro-batches of
    each replica's batch (accumulation.py says what that means for SN, BN and ADA).
    `jit_compile=True` compiles with XLA: on one device, the whole step (D updates, G update,
    EMA, metric sums) as one program, as a TPU compiles it (TPUStrategy always compiles); under
    a mirrored strategy, each replica's losses and gradients (see `_accumulated_update`).
    """

    def __init__(
        self,
        generator,
        discriminator,
        ema_generator,
        objective,
        strategy,
        *,
        global_batch_size,
        z_dim,
        g_optimizer,
        d_optimizer,
        num_classes=None,
        disc_iters=1,
        ema_decay=0.9999,
        ema_start_step=0,
        z_prior="normal",
        seed=0,
        accumulation_steps=1,
        jit_compile=False,
    ):
        check_z_prior(z_prior)
        check_counts(
            global_batch_size, strategy.num_replicas_in_sync, disc_iters, ema_decay, ema_start_step
        )
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
        self.jit_compile = jit_compile
        objective.build(global_batch_size)
        z, labels = self.sample_latents(2, tf.constant([0, 0], tf.int64))  # build heads, MINE
        # SSGAN's and S3GAN's heads read D's features (`d_parts`); D's optimizer trains them.
        split = (global_batch_size, strategy.num_replicas_in_sync, accumulation_steps)
        self.d_parts, heads = build_heads(
            objective.auxiliary, discriminator, lambda: generator(z, labels), split, num_classes
        )
        self.d_variables = [
            v for model in (discriminator, *heads) for v in model.trainable_variables
        ]
        self.power_iteration_vectors = accumulation.power_iteration_vectors(
            generator, discriminator, *heads
        )
        check_jit_compile(jit_compile, strategy, generator, objective)
        # Keras 3 under tf.distribute: build the optimizers in the strategy scope first.
        self.g_optimizer.build(generator.trainable_variables)
        self.d_optimizer.build(self.d_variables)
        self.mine_optimizer = mine_optimizer(objective.mine, lambda: generator(z, labels), z)
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
        if self.objective.auxiliary is not None:
            items["discriminator_heads"] = _indexed(self.objective.auxiliary.weights)
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

    def _objective_seed(self, stream, index):
        """The seed of the objective's random draws (augmentations, penalty points, consistency
        transforms, MINE's shuffle) in micro-batch `index` of the update of `stream`: GAN.seed
        and the counter of that update's latents, folded into int32 range (`seeds`), so that
        XLA draws what the uncompiled step draws. Every replica gets the same seed; the
        objective folds in the replica id."""
        counter = self.step * 2000 + stream
        return seeds.fold_in(
            seeds.as_seed(tf.stack([tf.cast(self.seed, tf.int64), counter])), index
        )

    def _d_fn(self, images, labels):
        return self.discriminator(images, labels, training=True)

    def _g_fn(self, z, labels):
        return self.generator(z, labels, training=True)

    def _xla(self, function):
        """`function` compiled by XLA when `jit_compile` is on; made anew for every replica's
        trace, since one tf.function traced by several replicas would reuse the variables of
        the first."""
        return tf.function(function, jit_compile=True) if self.jit_compile else function

    def _accumulated_update(self, optimizer, variables, loss_fn, batch):
        """Applies `accumulation.mean_gradient`. Mirrored with `jit_compile`, XLA compiles only
        the gradients: MirroredStrategy sums them through merge calls, which XLA cannot hold."""
        gradients, metrics = accumulation.mean_gradient(
            optimizer,
            variables,
            loss_fn,
            batch,
            micro_batches=self.accumulation_steps,
            reset=self.power_iteration_vectors,
            compiled=self._xla if is_mirrored(self.strategy) else None,
        )
        optimizer.apply_gradients(zip(gradients, variables))
        return metrics

    def _d_update(self, images, labels, z, fake_labels, stream):
        def loss_fn(index, images, labels, z, fake_labels):
            monitor = {}
            loss, parts = self.objective.discriminator_loss(
                self._d_fn,
                self._g_fn,
                images,
                labels,
                z,
                self.d_variables,
                fake_labels,
                monitor,
                step=self.step * self.disc_iters + stream,
                seed=self._objective_seed(stream, index),
                d_parts=self.d_parts,
            )
            return loss, {"d_loss": loss, **parts, **monitor}

        batch = (images, labels, z, fake_labels)
        return self._accumulated_update(self.d_optimizer, self.d_variables, loss_fn, batch)

    def _g_update(self, z, fake_labels, images, labels):
        variables = self.generator.trainable_variables

        def loss_fn(index, z, fake_labels, images, labels):
            loss, parts = self.objective.generator_loss(
                self._d_fn,
                self._g_fn,
                z,
                fake_labels,
                variables,
                seed=self._objective_seed(_G_STREAM, index),
                d_parts=self.d_parts,
                real=(images, labels),
            )
            return loss, {"g_loss": loss, **parts}

        batch = (z, fake_labels, images, labels)
        metrics = self._accumulated_update(self.g_optimizer, variables, loss_fn, batch)
        if self.mine_optimizer is not None:
            metrics["mine_loss"] = self._mine_step(z, fake_labels)
        return metrics

    def _mine_step(self, z, labels):
        """Trains the MINE statistics network on fresh samples (Belghazi et al. 2018, Alg. 1)
        from G in training mode, the mode in which the G loss rewards G through the network."""
        variables = self.objective.mine.trainable_variables
        fakes = self.generator(z, labels, training=True)
        with tf.GradientTape() as tape:
            loss = self.objective.mine_loss(fakes, z, seed=self._objective_seed(_MINE_STREAM, 0))
            scaled = accumulation.scaled_loss(self.mine_optimizer, loss)
        self.mine_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return loss

    def replica_step(self, batches, latents, totals=None):
        """One G step on this replica: a D update on each of the `disc_iters` batches of
        (images, labels) with its (z, fake labels) of `latents`, the G update with the last
        latents and real batch (read by relativistic losses), the step count and the EMA
        update. Returns the step's metrics added to `totals` (the sums of the loop's earlier
        steps, or None)."""
        metrics = {}
        for stream, ((images, labels), (z, fake_labels)) in enumerate(zip(batches, latents)):
            stream = tf.constant(stream, tf.int64)
            metrics.update(self._d_update(images, labels, z, fake_labels, stream))
        metrics.update(self._g_update(*latents[-1], *batches[-1]))
        # Replica-local: every replica holds the same count and the same generator weights.
        self.step.assign_add(1)
        self.ema.update(self.step)
        # Summed in float32: a mixed-precision loss is float16.
        metrics = {name: tf.cast(value, tf.float32) for name, value in metrics.items()}
        if totals is None:
            return metrics
        return {name: totals[name] + value for name, value in metrics.items()}

    def _run_step(self, iterator, totals=None):
        """One `strategy.run` holding a whole G step. Off TPUs and mirrored strategies XLA
        compiles the step after its latents as one program, the shape a TPU compiles; the
        latents are drawn outside it, as XLA derives stateless random numbers from 64-bit
        seeds differently and the draws must not depend on the switch."""
        batches = tuple(next(iterator) for _ in range(self.disc_iters))
        step = self.replica_step
        if not is_mirrored(self.strategy):
            step = self._xla(step)

        def on_replica(batches, totals):
            streams = [*range(self.disc_iters), _G_STREAM]
            latents = [self._replica_latents(stream) for stream in streams]
            return step(batches, latents, totals)

        return self.strategy.run(on_replica, args=(batches, totals))

    @tf.function
    def train(self, iterator, steps):
        """Runs `steps` G updates in one program; returns each metric's mean over them.

        The metric sums stay on the replicas until the loop ends; they are reduced once.
        """
        totals = self._run_step(iterator)
        for _ in tf.range(steps - 1):
            totals = self._run_step(iterator, totals)
        count = tf.cast(steps, tf.float32)
        return {
            name: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) / count
            for name, value in totals.items()
        }
