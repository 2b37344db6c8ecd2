"""How a GAN is built: the `Experiment`, the gin layer of a run, over `build_gan`, which takes
plain arguments.

    experiment = Experiment()  # from gin: dataset.*, Experiment.*, generator/adam.*, ...
    strategy = tf.distribute.MirroredStrategy()
    gan = build_gan("sndcgan", 32, num_classes=10, channels=1, batch_size=64, strategy=strategy)
    metrics = gan.train(iterator, tf.constant(100))

The Experiment reads the dataset, the strategy, the optimizers (gin-scoped: `generator/...`,
`discriminator/...`) and its own settings from gin, checks them against each other, and hands
them to `build_gan`, GAN's settings among them (gin's `GAN.*` names `GANSettings`). Neither
`build_gan` nor `GAN` reads gin; the pieces a run builds from gin (the architecture builders,
GANObjective when no objective is given, adam) read their own bindings when gin holds any.
"""

import dataclasses

import gin
import keras
import tensorflow as tf

from compare_gan_tf import data
from compare_gan_tf.architectures import (
    ARCHITECTURES,
    POINT_ARCHITECTURES,
    build_discriminator,
    build_generator,
)
from compare_gan_tf.architectures.registry import resolutions
from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.data_kinds import data_kind
from compare_gan_tf.training.gan import GAN
from compare_gan_tf.training.gan_checks import check_replica_batch
from compare_gan_tf.training.optimizers import adam, count_in_g_steps, optimizer
from compare_gan_tf.training.strategy import make_strategy


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(
            f"Experiment.batch_size must be a positive integer (the global batch), got "
            f"{batch_size!r}; bind e.g. Experiment.batch_size = 64."
        )


def _check_architecture(kind, architecture, info):
    if architecture not in kind.architectures:
        raise ConfigError(
            f"Dataset {info.name!r} holds {kind.name}, which architecture {architecture!r} "
            f"does not model; use {', '.join(POINT_ARCHITECTURES)} for points and one of "
            f"{', '.join(ARCHITECTURES)} for images."
        )
    supported = resolutions(architecture)
    if info.resolution not in supported:
        sizes = ", ".join(str(size) for size in supported)
        raise ConfigError(
            f"Architecture {architecture!r} does not support resolution {info.resolution} of "
            f"dataset {info.name!r}; set dataset.resolution to one of {sizes}, or pick another "
            "Experiment.architecture."
        )


def _check_labeled_fraction(data, num_classes, objective):
    """Unlabelled training examples (label -1) are for S3GAN, whose D predicts their class."""
    if data.labeled_fraction < 1 and num_classes and objective.self_supervision != "s3gan":
        raise ConfigError(
            f"dataset.labeled_fraction = {data.labeled_fraction} leaves training examples "
            "unlabelled (label -1), which only S3GAN handles in a class-conditional model: bind "
            'GANObjective.self_supervision = "s3gan" (with S3GAN.project_y and '
            "S3GAN.use_predictor = True), or Experiment.conditional = False."
        )


def _optimizer(scope, strategy):
    """gin's `optimizer()` in gin scope `scope` (its bindings: `scope/optimizer.name`,
    `scope/adam.learning_rate`, ...), created in the strategy's scope as Keras requires."""
    with strategy.scope(), gin.config_scope(scope):
        return optimizer()


@gin.configurable("GAN")
@dataclasses.dataclass
class GANSettings:
    """gin's `GAN.*` bindings: the training step's settings, handed to `GAN` by the Experiment
    (GAN itself reads no gin). See GAN for each."""

    disc_iters: int = 1
    ema_decay: float = 0.9999
    ema_start_step: int = 0
    z_prior: str = "normal"
    accumulation_steps: int = 1
    jit_compile: bool = False


@gin.configurable
class Experiment:
    """The pieces of a run, from gin: `data` (gin's `dataset.*`), `kind` (images or points),
    `strategy` and `gan`.

    `conditional=True` trains class-conditional models when the dataset has labels. Optimizers
    are gin-scoped: `generator/optimizer.name = "adamw"`, `generator/adamw.learning_rate`,
    `discriminator/adam.learning_rate` (see optimizers.py).
    `mixed_precision` is a Keras policy name: "mixed_bfloat16" on TPUs, "mixed_float16" on GPUs.
    `seed` seeds the weights' initialization and the random draws of augmentations
    (keras.utils.set_random_seed, process-wide) and the latents of the training steps.
    `strategy` overrides gin's `make_strategy` (tests pass their own).
    """

    def __init__(
        self,
        architecture="sndcgan",
        conditional=True,
        batch_size=64,
        z_dim=None,
        mixed_precision=None,
        seed=547,
        strategy=None,
    ):
        _check_batch_size(batch_size)
        self.data = data.DatasetSpec()
        self.info = self.data.info
        num_classes = (self.info.num_classes or None) if conditional else None
        self.kind = data_kind(self.info)
        _check_architecture(self.kind, architecture, self.info)
        self.architecture = architecture
        self.batch_size = batch_size
        keras.utils.set_random_seed(seed)
        self.strategy = strategy or make_strategy()
        self.gan = build_gan(
            architecture,
            self.info.resolution,
            num_classes=num_classes,
            channels=self.info.channels,
            batch_size=batch_size,
            z_dim=z_dim,
            strategy=self.strategy,
            g_optimizer=_optimizer("generator", self.strategy),
            d_optimizer=_optimizer("discriminator", self.strategy),
            mixed_precision=mixed_precision,
            seed=seed,
            **dataclasses.asdict(GANSettings()),
        )
        _check_labeled_fraction(self.data, num_classes, self.gan.objective)

    def settings_passed(self):
        """{parameter: the setting that decides it} for the parameters that building the
        Experiment passes to configurables itself (to the architecture builders and their
        models), so a gin binding of them never reaches them; for gin_check's messages."""
        from_dataset = "the dataset (dataset.name, dataset.resolution)"
        return {
            "name": "Experiment.architecture",
            "resolution": from_dataset,
            "channels": from_dataset,
            "num_classes": (
                f"the dataset ({self.info.num_classes} here) and Experiment.conditional (False "
                "for an unconditional model)"
            ),
            "z_dim": "Experiment.z_dim (when it is None, the generator's own z_dim)",
            "synchronized": (
                "the strategy (G's batch norms use cross-replica statistics with several "
                "replicas; batch_norm.generator_cross_replica forces them on or off)"
            ),
        }

    def distributed_iterator(self):
        """An iterator over shuffled, repeated train batches, one pipeline per input worker."""
        return iter(self.data.distribute(self.strategy, "train", self.batch_size))


MIXED_PRECISION = (None, "mixed_float16", "mixed_bfloat16")


def _models(architecture, resolution, num_classes, g_options, d_options, objective):
    """G and its EMA copy (same architecture), and D, each called once to create its weights;
    D is called as the objective shows it images (PacGAN packs them along channels)."""
    generator, average = (
        build_generator(architecture, resolution, num_classes=num_classes, **g_options)
        for _ in range(2)
    )
    d_classes = objective.discriminator_classes(num_classes)
    discriminator = build_discriminator(architecture, resolution, d_classes, **d_options)
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
    **gan_options,
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
      gan_options: GAN's settings (disc_iters, ema_decay, ema_start_step, z_prior,
        accumulation_steps, jit_compile); those not given take GAN's defaults.
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
        optimizers = [_built(choice, mixed_precision) for choice in (g_optimizer, d_optimizer)]
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
            **gan_options,
        )
    # The GAN's disc_iters (given or its default) is the one source of truth: D
    # applies that many updates per G step, and both schedules count G steps.
    count_in_g_steps(gan.g_optimizer, 1)
    count_in_g_steps(gan.d_optimizer, gan.disc_iters)
    return gan


def _built(choice, mixed_precision):
    optimizer = choice() if callable(choice) else (choice or adam())
    if mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
