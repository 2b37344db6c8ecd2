"""What every generator and discriminator shares: the call contract and the option switches.

A generator maps z [B, z_dim] (and int labels [B] when `num_classes` is set) to images
[B, H, W, channels] in [-1, 1]. A discriminator maps images (and labels) to logits [B, 1];
`logits_and_features` also returns the features [B, C] that its output head reads.
"""

import math

import gin
import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers import (
    ProjectionHead,
    discriminator_norm,
    generator_norm,
    get_initializer,
    maybe_spectral_norm,
)
from compare_gan_tf.layers.spectral_norm import SPECTRAL_NORM_MODES

GENERATOR_NORMALIZATIONS = ("batch", "conditional", "self_modulated", "none")
DISCRIMINATOR_NORMALIZATIONS = ("none", "batch", "layer", "spectral", "bssn")


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


class _ArchitectureModel(keras.Model):
    """Resolution check, weight-layer factories and get_config shared by G and D.

    Subclasses set ARCHITECTURE (registry name), RESOLUTIONS and their DEFAULT_* values; an
    argument left as None takes the architecture's default and get_config stores the result.
    """

    ARCHITECTURE = ""
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

    def kernel_initializer(self):
        """A fresh initializer instance, so that no two layers start with equal weights."""
        return get_initializer(self.initializer)

    def weight_layer(self, layer):
        return maybe_spectral_norm(
            layer, self.spectral_norm, self.sn_scale, self.sn_power_iterations
        )

    def dense(self, units):
        return self.weight_layer(
            keras.layers.Dense(units, kernel_initializer=self.kernel_initializer())
        )

    def conv(self, filters, kernel_size, strides=1, transposed=False):
        conv_class = keras.layers.Conv2DTranspose if transposed else keras.layers.Conv2D
        layer = conv_class(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            kernel_initializer=self.kernel_initializer(),
        )
        return self.weight_layer(layer)

    def weight_options(self):
        """Spectral norm and initializer arguments of a compare_gan_tf.layers layer."""
        return dict(
            spectral_norm=self.spectral_norm,
            sn_scale=self.sn_scale,
            sn_power_iterations=self.sn_power_iterations,
            kernel_initializer=self.kernel_initializer(),
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


class Generator(_ArchitectureModel):
    """`generator(z, labels=None, training=None)` -> images [B, H, W, channels] in [-1, 1].

    normalization: "batch", "conditional" (class-conditional BN on the labels), "self_modulated"
    (BN modulated by z, Chen et al. 2019) or "none"; None picks "conditional" when `num_classes`
    is set, else "batch". spectral_norm: "none", "sn" or "bssn" on every G weight layer.
    synchronized=True computes BN statistics over all replicas (BigGAN's cross-replica BN);
    gin's `batch_norm.generator_cross_replica`, when set, overrides it.
    Labels are ignored when `num_classes` is None.
    """

    DEFAULT_SPECTRAL_NORM = "none"
    DEFAULT_Z_DIM = 128
    # BigGAN feeds a float vector (class embedding and z) to its BNs, which works without classes.
    VECTOR_CONDITION = False

    def __init__(
        self,
        resolution,
        num_classes=None,
        channels=3,
        z_dim=None,
        ch=None,
        normalization=None,
        spectral_norm=None,
        initializer=None,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(resolution, num_classes, ch, initializer, **kwargs)
        self.channels = channels
        self.z_dim = z_dim or self.default_z_dim(resolution)
        self.normalization = self._resolve_normalization(normalization)
        self.spectral_norm = spectral_norm or self.DEFAULT_SPECTRAL_NORM
        check_choice("generator spectral_norm", self.spectral_norm, SPECTRAL_NORM_MODES)
        _, _, cross_replica = batch_norm_defaults()
        self.synchronized = synchronized if cross_replica is None else cross_replica

    @classmethod
    def default_z_dim(cls, resolution):
        return cls.DEFAULT_Z_DIM

    def _resolve_normalization(self, normalization):
        if normalization is None:
            conditional = self.num_classes or self.VECTOR_CONDITION
            normalization = "conditional" if conditional else "batch"
        check_choice("generator normalization", normalization, GENERATOR_NORMALIZATIONS)
        if self.num_classes and normalization in ("batch", "none"):
            raise ValueError(
                f"Generator normalization {normalization!r} gives the labels no way in; use "
                '"conditional" or "self_modulated" for a class-conditional generator.'
            )
        if normalization == "conditional" and not (self.num_classes or self.VECTOR_CONDITION):
            raise ValueError(
                f'{self.ARCHITECTURE} generator normalization "conditional" needs num_classes; '
                'set it, or use "batch" or "self_modulated" for an unconditional generator.'
            )
        return normalization

    def norm(self):
        """A BN layer of this generator's kind (None for "none")."""
        return generator_norm(
            self.normalization,
            self.num_classes,
            self.spectral_norm,
            self.synchronized,
            momentum=self.bn_momentum,
            epsilon=self.bn_epsilon,
            sn_power_iterations=self.sn_power_iterations,
        )

    def block_options(self):
        """Arguments of a generator block: weight options, normalization and its condition."""
        options = self.weight_options()
        options.update(self.batch_norm_options())
        options.update(
            normalization=self.normalization,
            num_classes=None if self.VECTOR_CONDITION else self.num_classes,
            synchronized=self.synchronized,
        )
        return options

    def condition(self, z, labels):
        """What conditional BN reads: the labels; self-modulated BN: z (with one-hot labels)."""
        if self.normalization == "conditional":
            return labels
        if self.normalization == "self_modulated" and self.num_classes:
            return tf.concat([z, tf.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=-1)
        if self.normalization == "self_modulated":
            return z
        return None

    def call(self, z, labels=None, training=None):
        if z.shape.rank != 2 or z.shape[-1] != self.z_dim:
            raise ValueError(
                f"{self.ARCHITECTURE} generator expects z of shape [batch, {self.z_dim}], got "
                f"{z.shape}; sample z with the generator's z_dim."
            )
        if self.num_classes and labels is None:
            raise ValueError(
                f"{self.ARCHITECTURE} generator has num_classes={self.num_classes} and needs int "
                "labels [batch]; pass labels, or build it with num_classes=None."
            )
        return self.activate(self.synthesize(z, labels if self.num_classes else None, training))

    def activate(self, outputs):
        """Images in [-1, 1]; subclasses that model raw coordinates return `outputs` as is."""
        return tf.tanh(outputs)

    def synthesize(self, z, labels, training):
        """The output layer's pre-activation [B, H, W, channels]; `call` applies `activate`."""
        raise NotImplementedError

    def get_config(self):
        config = super().get_config()
        config.update(
            channels=self.channels,
            z_dim=self.z_dim,
            normalization=self.normalization,
            spectral_norm=self.spectral_norm,
            synchronized=self.synchronized,
        )
        return config


class Discriminator(_ArchitectureModel):
    """`discriminator(images, labels=None, training=None)` -> logits [B, 1].

    normalization: "none", "batch", "layer" (inside the network), or "spectral" / "bssn"
    (SN, Miyato et al. 2018, or BSSN, Lin et al. 2021, on every weight layer, with BSSN's constant
    `sn_scale`). With `num_classes` the output is a projection head (Miyato & Koyama 2018);
    without it a linear layer. `dropout` is the rate after every hidden stage (Iyengar et al.
    found that SNDCGAN at 128 px collapses without 0.5).
    """

    DEFAULT_NORMALIZATION = "none"
    NORMALIZATIONS = DISCRIMINATOR_NORMALIZATIONS

    def __init__(
        self,
        resolution,
        num_classes=None,
        ch=None,
        normalization=None,
        sn_scale=1.0,
        initializer=None,
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(resolution, num_classes, ch, initializer, **kwargs)
        self.normalization = normalization or self.DEFAULT_NORMALIZATION
        check_choice(
            f"{self.ARCHITECTURE} discriminator normalization",
            self.normalization,
            self.NORMALIZATIONS,
        )
        spectral = {"spectral": "sn", "bssn": "bssn"}
        self.spectral_norm = spectral.get(self.normalization, "none")
        self.inner_normalization = "none" if self.spectral_norm != "none" else self.normalization
        self.sn_scale = sn_scale
        self.dropout = dropout
        self.dropout_layer = keras.layers.Dropout(dropout) if dropout else None
        self.head = ProjectionHead(num_classes, **self.weight_options())

    def block_options(self):
        """Arguments of a discriminator block: weight options and the inner normalization."""
        options = self.weight_options()
        options.update(self.batch_norm_options())
        options.update(normalization=self.inner_normalization)
        return options

    def inner_norm(self):
        """A normalization layer of the inner kind (None for "none")."""
        return discriminator_norm(self.inner_normalization, None, self.bn_momentum, self.bn_epsilon)

    def drop(self, x, training):
        if self.dropout_layer is None:
            return x
        return self.dropout_layer(x, training=training)

    def call(self, images, labels=None, training=None):
        logits, _ = self.logits_and_features(images, labels, training)
        return logits

    def logits_and_features(self, images, labels=None, training=None):
        """(logits [B, 1], features [B, C] that the head reads) for projection or consistency."""
        features = self.features(images, training)
        return self.head(features, labels, training=training), features

    def features(self, images, training=None):
        """The features [B, C] that the head (and SSGAN's and S3GAN's heads) read."""
        self.check_inputs(images)
        return self.extract_features(images, training)

    def check_inputs(self, images):
        size = self.resolution
        if images.shape.rank != 4 or tuple(images.shape[1:3]) != (size, size):
            raise ValueError(
                f"{self.ARCHITECTURE} discriminator at {size} px expects images of shape "
                f"[batch, {size}, {size}, channels], got {images.shape}."
            )

    def extract_features(self, images, training):
        raise NotImplementedError

    def get_config(self):
        config = super().get_config()
        config.update(
            normalization=self.normalization, sn_scale=self.sn_scale, dropout=self.dropout
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
