"""Builds a ready GAN (G, D, EMA G, objective, optimizers) from plain arguments, without gin.

    strategy = tf.distribute.MirroredStrategy()
    gan = build_gan("sndcgan", 32, num_classes=10, channels=1, batch_size=64, strategy=strategy)
    metrics = gan.train(iterator, tf.constant(100))

gin-configurable pieces that are called here (the architecture builders, GAN, GANObjective,
adam) still read their own gin bindings when gin holds any; the factory itself reads none.
"""

import keras
import tensorflow as tf

from compare_gan_tf.architectures import build_discriminator, build_generator
from compare_gan_tf.checks import check_choice
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.gan import GAN, check_replica_batch
from compare_gan_tf.training.optimizers import adam, count_in_g_steps

MIXED_PRECISION = (None, "mixed_float16", "mixed_bfloat16")


def _models(architecture, resolution, num_classes, g_options, d_options, objective):
    """G and its EMA copy (same architecture), and D, each called once to create its weights;
    D is called as the objective shows it images (PacGAN packs them along channels)."""
    generator, average = (
        build_generator(architecture, resolution, num_classes=num_classes, **g_options)
        for _ in range(2)
    )
    discriminator = build_discriminator(architecture, resolution, num_classes, **d_options)
    z = tf.zeros([2 * objective.packing, generator.z_dim])
    labels = tf.zeros([2 * objective.packing], tf.int32) if num_classes else None
    for model in (generator, average):
        model(z, labels)
    objective.discriminator_view(discriminator)(generator(z, labels), labels)
    return generator, average, discriminator


def build_gan(
    architecture,
    resolution,
    *,
    num_classes=None,
    channels=None,
    batch_size=64,
    z_dim=None,
    strategy=None,
    objective=None,
    g_optimizer=None,
    d_optimizer=None,
    mixed_precision=None,
    seed=0,
    generator_options=None,
    discriminator_options=None,
    disc_iters=None,
    accumulation_steps=None,
    jit_compile=None,
):
    """A GAN of `architecture` at `resolution` (None for 2-D points), built in `strategy`'s scope.

    Args:
      num_classes: None for unconditional models; an int makes G and D class-conditional.
      channels: image channels (or point dimensions); None takes the architecture's default.
      batch_size: the global batch; a multiple of the strategy's replicas.
      z_dim: None takes the architecture's default.
      strategy: a tf.distribute strategy; None is the current (default) one. Several replicas
        switch G's batch norms to cross-replica statistics.
      objective: a GANObjective; None is the non-saturating loss with nothing else.
      g_optimizer, d_optimizer: Keras optimizers, or callables returning one (each is called in
        the strategy's scope); None is `adam()` with compare_gan's defaults. Their schedules
        (optimizers.WarmupDecay) are counted in G steps: D's is set to advance once per
        `disc_iters` updates (optimizers.count_in_g_steps), so equal warmup and decay steps end
        both rates at the same G step.
      mixed_precision: None, "mixed_float16" (loss-scaled optimizers) or "mixed_bfloat16". It
        sets Keras's global dtype policy, which is process-wide.
      seed: the seed of the latents drawn in training steps.
      generator_options, discriminator_options: constructor arguments of the architecture
        (ch, normalization, spectral_norm, ...).
      disc_iters, accumulation_steps, jit_compile: GAN's (D updates per G step, micro-batches
        per update, XLA); None leaves them to gin's GAN bindings or GAN's defaults.
    """
    check_choice("mixed_precision", mixed_precision, MIXED_PRECISION)
    if mixed_precision:
        keras.mixed_precision.set_global_policy(mixed_precision)
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        objective = objective or GANObjective()
        check_replica_batch(objective, batch_size // strategy.num_replicas_in_sync, num_classes)
        objective.build(batch_size)
        generator, average, discriminator = _models(
            architecture,
            resolution,
            num_classes,
            # Several replicas: G's batch norms use cross-replica statistics unless told not to.
            dict(
                {"synchronized": strategy.num_replicas_in_sync > 1},
                **(generator_options or {}),
                channels=channels,
                z_dim=z_dim,
            ),
            dict(discriminator_options or {}),
            objective,
        )
        optimizers = [_optimizer(choice, mixed_precision) for choice in (g_optimizer, d_optimizer)]
        gan = GAN(
            generator,
            discriminator,
            average,
            objective,
            strategy,
            global_batch_size=batch_size,
            z_dim=generator.z_dim,
            num_classes=num_classes,
            g_optimizer=optimizers[0],
            d_optimizer=optimizers[1],
            seed=seed,
            **{
                name: value
                for name, value in (
                    ("disc_iters", disc_iters),
                    ("accumulation_steps", accumulation_steps),
                    ("jit_compile", jit_compile),
                )
                if value is not None
            },
        )
    # The GAN's disc_iters (explicit, from gin or its default) is the one source of truth: D
    # applies that many updates per G step, and both schedules count G steps.
    count_in_g_steps(gan.g_optimizer, 1)
    count_in_g_steps(gan.d_optimizer, gan.disc_iters)
    return gan


def _optimizer(choice, mixed_precision):
    optimizer = choice() if callable(choice) else (choice or adam())
    if mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
