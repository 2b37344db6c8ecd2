"""An experiment: the dataset, models, objective and strategy of one run, built from gin."""

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
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.gan import GAN, adam
from compare_gan_tf.training.strategy import make_strategy

MIXED_PRECISION = (None, "mixed_float16", "mixed_bfloat16")


class ConfigError(ValueError):
    """A gin binding of the run has a wrong type or contradicts the dataset."""


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(
            f"Experiment.batch_size must be a positive integer (the global batch), got "
            f"{batch_size!r}; bind e.g. Experiment.batch_size = 64."
        )


def _check_resolution(architecture, resolution, dataset_name):
    supported = resolutions(architecture)
    if resolution not in supported:
        sizes = ", ".join(str(size) for size in supported)
        raise ConfigError(
            f"Architecture {architecture!r} does not support resolution {resolution} of dataset "
            f"{dataset_name!r}; set dataset.resolution to one of {sizes}, or pick another "
            "Experiment.architecture."
        )


def _check_no_num_classes_binding(architecture, num_classes):
    # gin ignores bindings of arguments the caller passes, so such a binding would silently lose.
    for model in ("generator", "discriminator"):
        binding = f"{architecture}_{model}.num_classes"
        try:
            bound = gin.query_parameter(binding)
        except ValueError:
            continue
        raise ConfigError(
            f"{binding} = {bound!r} is set, but the number of classes comes from the dataset "
            f"({num_classes} here); remove the binding, and use Experiment.conditional = False "
            "for an unconditional model."
        )


@gin.configurable
class Experiment:
    """Builds the pieces of a run; `gan` is created in the strategy's scope.

    The dataset is gin's `dataset.*` (a `data.DatasetSpec`). `conditional=True` trains
    class-conditional models when the dataset has labels. Optimizers are gin-scoped:
    `generator/adam.learning_rate`, `discriminator/adam.learning_rate`.
    `mixed_precision` is a Keras policy name: "mixed_bfloat16" on TPUs, "mixed_float16" on GPUs
    (the G and D optimizers then scale the loss dynamically). `strategy` overrides gin's
    `make_strategy` (tests pass their own).
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
        if mixed_precision not in MIXED_PRECISION:
            raise ValueError(
                f"Unknown mixed_precision {mixed_precision!r}; use one of {MIXED_PRECISION}."
            )
        self.data = data.DatasetSpec()
        self.info = self.data.info
        if self.info.is_image == (architecture in POINT_ARCHITECTURES):
            kind = "images" if self.info.is_image else "2-D points"
            raise ValueError(
                f"Dataset {self.info.name!r} holds {kind}, which architecture {architecture!r} "
                f"does not model; use {', '.join(POINT_ARCHITECTURES)} for points and "
                f"one of {', '.join(ARCHITECTURES)} for images."
            )
        _check_resolution(architecture, self.info.resolution, self.info.name)
        self.architecture = architecture
        self.resolution = self.info.resolution
        self.num_classes = (self.info.num_classes or None) if conditional else None
        _check_no_num_classes_binding(architecture, self.num_classes)
        self.batch_size = batch_size
        self.seed = seed
        self.mixed_precision = mixed_precision
        if mixed_precision:
            keras.mixed_precision.set_global_policy(mixed_precision)
        self.strategy = strategy or make_strategy()
        with self.strategy.scope():
            self.gan = self._build_gan(z_dim)

    def _models(self, z_dim):
        synchronized = self.strategy.num_replicas_in_sync > 1
        generator, average = (
            build_generator(
                self.architecture,
                self.resolution,
                num_classes=self.num_classes,
                channels=self.info.channels,
                z_dim=z_dim,
                synchronized=synchronized,
            )
            for _ in range(2)
        )
        discriminator = build_discriminator(
            self.architecture, self.resolution, num_classes=self.num_classes
        )
        z = tf.zeros([2, generator.z_dim])
        labels = tf.zeros([2], tf.int32) if self.num_classes else None
        for model in (generator, average):
            model(z, labels)
        discriminator(generator(z, labels), labels)
        return generator, average, discriminator

    def _optimizer(self, scope):
        with gin.config_scope(scope):
            optimizer = adam()
        if self.mixed_precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def _build_gan(self, z_dim):
        generator, average, discriminator = self._models(z_dim)
        return GAN(
            generator,
            discriminator,
            average,
            GANObjective(),
            self.strategy,
            global_batch_size=self.batch_size,
            z_dim=generator.z_dim,
            num_classes=self.num_classes,
            g_optimizer=self._optimizer("generator"),
            d_optimizer=self._optimizer("discriminator"),
            seed=self.seed,
        )

    def distributed_iterator(self):
        """An iterator over shuffled, repeated train batches, one pipeline per input worker."""
        dataset = self.data.distribute(self.strategy, "train", self.batch_size)
        return iter(dataset)
