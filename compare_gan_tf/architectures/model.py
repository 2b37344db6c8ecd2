"""What generators and discriminators share: the weight-layer factories and options of
`ArchitectureModel`, gin's `batch_norm` and `spectral_norm` settings, the gin builders, and two
helpers of the architectures (flatten, attention_index). base.py defines G and D on top.
"""

import math

import gin
import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers import get_initializer
from compare_gan_tf.layers.normalization import BatchNorms


@gin.configurable("batch_norm")
def batch_norm_defaults(momentum=0.99, epsilon=1e-5, generator_cross_replica=None):
    """BN settings of every architecture, in G and D: plain, conditional, self-modulated.

    In gin: `batch_norm.momentum = 0.9`. momentum (Keras's: new = momentum * old + (1 - momentum)
    * batch) and epsilon go to every batch norm a model builds. generator_cross_replica=None
    leaves G's cross-replica statistics to the caller (the trainer turns them on with several
    replicas, as BigGAN does); True or False forces them on or off.
    """
    return momentum, epsilon, generator_cross_replica


@gin.configurable("spectral_norm")
def spectral_norm_defaults(power_iterations=1):
    """SN's power-iteration steps per training call in every architecture (Miyato et al.: 1).

    In gin: `spectral_norm.power_iterations = 2`.
    """
    return power_iterations


def gin_builder(name, model_class):
    """A gin-configurable `name(resolution, **options)` that returns `model_class(...)`.

    gin cannot wrap Keras model classes (Keras reads their constructor signature), so every model
    gets a builder; bind constructor arguments on it, e.g. `biggan_generator.ch = 64`.
    """

    def build(resolution, **options):
        return model_class(resolution, **options)

    build.__name__ = name
    build.__qualname__ = name
    build.__doc__ = f"Builds {model_class.__name__}; gin parameters are its constructor arguments."
    configurable = gin.configurable(name)(build)
    configurable.model_class = model_class
    return configurable


class ArchitectureModel(BatchNorms, keras.Model):
    """Resolution check, options and get_config shared by G and D; their weight layers and
    batch norms come from `BatchNorms`, as the blocks' do.

    Subclasses set ARCHITECTURE (registry name), RESOLUTIONS and their DEFAULT_* values; an
    argument left as None takes the architecture's default and get_config stores the result.
    """

    ARCHITECTURE = ""
    ROLE = ""  # "generator" or "discriminator": the gin builder is <ARCHITECTURE>_<ROLE>.
    RESOLUTIONS = ()
    DEFAULT_CH = 64
    DEFAULT_INITIALIZER = "normal"

    def __init__(
        self,
        resolution,
        num_classes=None,
        ch=None,
        initializer=None,
        bn_momentum=None,
        bn_epsilon=None,
        sn_power_iterations=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_choice(f"{self.ARCHITECTURE} resolution", resolution, self.RESOLUTIONS)
        self.resolution = resolution
        self.num_classes = num_classes
        self.ch = ch or self.DEFAULT_CH
        self.initializer = initializer or self.DEFAULT_INITIALIZER
        get_initializer(self.initializer)  # Fails early on an unknown name.
        self.spectral_norm = "none"
        self.sn_scale = 1.0
        # None takes gin's `batch_norm` and `spectral_norm` defaults; get_config keeps the values.
        momentum, epsilon, _ = batch_norm_defaults()
        self.bn_momentum = momentum if bn_momentum is None else bn_momentum
        self.bn_epsilon = epsilon if bn_epsilon is None else bn_epsilon
        self.sn_power_iterations = sn_power_iterations or spectral_norm_defaults()

    def build(self, input_shape):
        # The sublayers create their weights during the first call, so Keras need not trace
        # the model symbolically first (that doubles the cost of the first call).
        self.built = True

    def build_from_config(self, config):
        """Creates the weights with a one-example call, so that saved weights can be loaded."""
        shape = config.get("input_shape")
        if shape is not None:
            labels = tf.zeros((1,), tf.int32) if self.num_classes else None
            self(tf.zeros((1, *shape[1:])), labels, training=False)

    def check_option(self, name, value, choices):
        """`value`, or a ConfigError naming gin's binding <architecture>_<role>.<name> and the
        `choices`."""
        binding = f"{self.ARCHITECTURE}_{self.ROLE}.{name}"
        return check_choice(binding, value, choices, error=ConfigError, colon=True)

    def new_initializer(self):
        return get_initializer(self.initializer)

    def sublayer_dtype(self):
        # None: the sublayers take the global policy (the Experiment's mixed_precision), not a
        # policy stored in the model's config.
        return None

    def weight_options(self):
        """Spectral norm and initializer arguments of a compare_gan_tf.layers layer."""
        return dict(
            spectral_norm=self.spectral_norm,
            sn_scale=self.sn_scale,
            sn_power_iterations=self.sn_power_iterations,
            kernel_initializer=self.new_initializer(),
        )

    def batch_norm_options(self):
        """BN momentum and epsilon arguments of a compare_gan_tf.layers block."""
        return dict(bn_momentum=self.bn_momentum, bn_epsilon=self.bn_epsilon)

    def get_config(self):
        config = super().get_config()
        config.update(
            resolution=self.resolution,
            num_classes=self.num_classes,
            ch=self.ch,
            initializer=self.initializer,
            bn_momentum=self.bn_momentum,
            bn_epsilon=self.bn_epsilon,
            sn_power_iterations=self.sn_power_iterations,
        )
        return config


def flatten(x):
    """[B, H, W, C] -> [B, H*W*C], keeping the static size that the output head is built with."""
    return tf.reshape(x, (-1, math.prod(x.shape[1:])))


def attention_index(output_resolutions, attention_resolution, first):
    """Index of the block followed by self-attention, or None when no block has that resolution.

    As in BigGAN-PyTorch's G_attn / D_attn: attention sits at a resolution, and a model without
    a stage at that resolution has none. G attends on entering it, D just before leaving it.
    """
    matches = [i for i, size in enumerate(output_resolutions) if size == attention_resolution]
    if not matches:
        return None
    return matches[0] if first else matches[-1]
