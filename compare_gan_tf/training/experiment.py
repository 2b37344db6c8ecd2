"""An experiment: the gin layer over the factory. It reads the dataset, the strategy and the
run's settings from gin, checks them against each other, and builds the GAN with `build_gan`."""

import gin
import keras

from compare_gan_tf import data
from compare_gan_tf.architectures import ARCHITECTURES, POINT_ARCHITECTURES
from compare_gan_tf.architectures.registry import resolutions
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.training.data_kinds import data_kind
from compare_gan_tf.training.factory import build_gan
from compare_gan_tf.training.optimizers import optimizer
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


def _optimizer_in_scope(scope):
    def make():
        with gin.config_scope(scope):
            return optimizer()

    return make


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
            g_optimizer=_optimizer_in_scope("generator"),
            d_optimizer=_optimizer_in_scope("discriminator"),
            mixed_precision=mixed_precision,
            seed=seed,
        )

    def settings_passed(self):
        """{parameter: the setting that decides it} for the parameters that building the
        Experiment passes to configurables itself (to the architecture builders, their models
        and GAN), so a gin binding of them never reaches them; for gin_check's messages."""
        from_dataset = "the dataset (dataset.name, dataset.resolution)"
        optimizer = (
            "{0}/optimizer.name and that optimizer's bindings in scope {0}/ (e.g. "
            "{0}/adam.learning_rate)"
        )
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
            "seed": "Experiment.seed",
            "global_batch_size": "Experiment.batch_size",
            "strategy": "make_strategy.*",
            "g_optimizer": optimizer.format("generator"),
            "d_optimizer": optimizer.format("discriminator"),
            "objective": "GANObjective.*",
        }

    def distributed_iterator(self):
        """An iterator over shuffled, repeated train batches, one pipeline per input worker."""
        return iter(self.data.distribute(self.strategy, "train", self.batch_size))
