"""The checks a GAN's settings pass before it is built: each names the binding to change."""

import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers.normalization import batch_norm_layers


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


def is_mirrored(strategy):
    """MirroredStrategy or its multi-worker kind: replicas synchronize through merge calls."""
    mirrored = (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy)
    return isinstance(strategy, mirrored)


def check_jit_compile(jit_compile, strategy, generator, objective):
    """Under a mirrored strategy XLA compiles each replica's losses and gradients, which on CPU
    devices must hold no cross-replica sum: TensorFlow's XLA CPU backend has none ("Only
    compiling NCCL/auto collective is supported, got: ring"), and off GPUs MirroredStrategy
    sums through merge calls, which a compiled function cannot hold."""
    if not (jit_compile and is_mirrored(strategy)):
        return
    if not any("CPU" in device.upper() for device in strategy.extended.worker_devices):
        return
    summed = []
    if any(layer.synchronized for layer in batch_norm_layers(generator)):
        summed.append("cross-replica batch norm in G")
    if objective.ada is not None:
        summed.append("ADA's augmentation probability")
    if objective.lecam is not None:
        summed.append("LeCam's logit averages")
    if getattr(objective.auxiliary, "use_predictor", False):
        summed.append("S3GAN's count of labelled examples")
    if summed:
        raise ConfigError(
            f"GAN.jit_compile = True cannot compile {' and '.join(summed)} on CPU devices under "
            f"{type(strategy).__name__}: their cross-replica sums need GPUs or a TPU. Set "
            "GAN.jit_compile = False, or use one device."
        )


def check_replica_batch(objective, replica_batch_size, num_classes):
    """PacGAN needs an unconditional model and a per-replica batch divisible by its m; mode
    seeking pairs the halves of the per-replica batch, so it must be even."""
    if objective.mode_seeking_weight and replica_batch_size % 2:
        raise ConfigError(
            f"GANObjective.mode_seeking_weight pairs the two halves of the per-replica batch "
            f"({replica_batch_size}), which must be even; change the batch size."
        )
    packing = objective.packing
    if packing > 1 and num_classes:
        raise ConfigError(
            f"GANObjective.packing = {packing} (PacGAN) needs an unconditional model: packed "
            "samples have no single label. Set Experiment.conditional = False."
        )
    if replica_batch_size % packing:
        raise ConfigError(
            f"GANObjective.packing = {packing} must divide the per-replica batch "
            f"({replica_batch_size}); change the batch size or the packing."
        )


def check_counts(global_batch_size, replicas, disc_iters, ema_decay, ema_start_step):
    """The global batch splits evenly over the replicas; disc_iters and the EMA's start are
    counts; the EMA's decay is in [0, 1)."""
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
    if isinstance(ema_decay, bool) or not isinstance(ema_decay, (int, float)):
        raise ConfigError(f"GAN.ema_decay must be a number in [0, 1); got {ema_decay!r}.")
    if not 0.0 <= ema_decay < 1.0:
        raise ConfigError(f"GAN.ema_decay must be in [0, 1); got {ema_decay!r}.")
