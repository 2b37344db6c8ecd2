"""Residual blocks of the ResNet GANs (Gulrajani et al. 2017; Miyato et al. 2018) and BigGAN-deep.

Upsampling is nearest-neighbour and shortcuts are 1x1 convolutions; compare_gan upsampled by
inserting zeros and used 3x3 shortcuts, which these blocks deliberately do not copy.
"""

import keras
import tensorflow as tf

from compare_gan_tf.layers.base import NormalizableLayer
from compare_gan_tf.layers.normalization import apply_norm, discriminator_norm, generator_norm

_relu = tf.nn.relu


class _Block(NormalizableLayer):
    """Holds the options every block shares and builds its convolutions."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters

    def conv(self, filters, kernel_size):
        layer = keras.layers.Conv2D(
            filters,
            kernel_size,
            padding="same",
            kernel_initializer=self.initializer(),
            dtype=self.dtype_policy,
        )
        return self.normalize(layer)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters)
        return config


class _GeneratorBlock(_Block):
    """Adds the generator's normalization options."""

    def __init__(
        self,
        filters,
        upsample=True,
        normalization="batch",
        num_classes=None,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(filters, **kwargs)
        self.upsample = upsample
        self.normalization = normalization
        self.num_classes = num_classes
        self.synchronized = synchronized
        self.upsampling = keras.layers.UpSampling2D(
            2, interpolation="nearest", dtype=self.dtype_policy
        )

    def norm(self):
        return generator_norm(
            self.normalization,
            self.num_classes,
            self.spectral_norm,
            self.synchronized,
            dtype=self.dtype_policy,
        )

    def maybe_upsample(self, x):
        return self.upsampling(x) if self.upsample else x

    def get_config(self):
        config = super().get_config()
        config.update(
            upsample=self.upsample,
            normalization=self.normalization,
            num_classes=self.num_classes,
            synchronized=self.synchronized,
        )
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorResBlock(_GeneratorBlock):
    """BN, ReLU, upsample x2, conv3x3, BN, ReLU, conv3x3, plus a 1x1-conv shortcut.

    `normalization` is "batch", "conditional" (labels or a conditioning vector), "self_modulated"
    (z) or "none"; the condition goes in as the second argument of `call`. The shortcut is a
    learnable 1x1 convolution of the upsampled input whenever channels or resolution change.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(filters, **kwargs)
        self.norm1 = self.norm()
        self.norm2 = self.norm()
        self.conv1 = self.conv(filters, 3)
        self.conv2 = self.conv(filters, 3)

    def build(self, inputs_shape, condition_shape=None):
        learnable = self.upsample or inputs_shape[-1] != self.filters
        self.shortcut = self.conv(self.filters, 1) if learnable else None

    def call(self, inputs, condition=None, training=None):
        h = _relu(apply_norm(self.norm1, inputs, condition, training))
        h = self.conv1(self.maybe_upsample(h), training=training)
        h = _relu(apply_norm(self.norm2, h, condition, training))
        h = self.conv2(h, training=training)
        shortcut = self.maybe_upsample(inputs)
        if self.shortcut is not None:
            shortcut = self.shortcut(shortcut, training=training)
        return h + shortcut


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorBottleneckBlock(_GeneratorBlock):
    """BigGAN-deep generator block (Brock et al. 2019, Figure 16 left).

    Four conditional BNs around a 1x1 (to C_in/4), two 3x3 and a 1x1 (to `filters`) convolution.
    The shortcut keeps the first `filters` input channels ("drop channels") and is upsampled.
    """

    def __init__(self, filters, channel_ratio=4, **kwargs):
        super().__init__(filters, **kwargs)
        self.channel_ratio = channel_ratio
        self.norms = [self.norm() for _ in range(4)]

    def build(self, inputs_shape, condition_shape=None):
        in_channels = inputs_shape[-1]
        if self.filters > in_channels:
            raise ValueError(
                f"GeneratorBottleneckBlock drops channels on its shortcut, so filters "
                f"({self.filters}) must not exceed the input channels ({in_channels})."
            )
        hidden = in_channels // self.channel_ratio
        self.convs = [
            self.conv(hidden, 1),
            self.conv(hidden, 3),
            self.conv(hidden, 3),
            self.conv(self.filters, 1),
        ]

    def call(self, inputs, condition=None, training=None):
        n1, n2, n3, n4 = self.norms
        conv1, conv2, conv3, conv4 = self.convs
        h = conv1(_relu(apply_norm(n1, inputs, condition, training)), training=training)
        h = self.maybe_upsample(_relu(apply_norm(n2, h, condition, training)))
        h = conv2(h, training=training)
        h = conv3(_relu(apply_norm(n3, h, condition, training)), training=training)
        h = conv4(_relu(apply_norm(n4, h, condition, training)), training=training)
        return h + self.maybe_upsample(inputs[..., : self.filters])

    def get_config(self):
        config = super().get_config()
        config.update(channel_ratio=self.channel_ratio)
        return config


class _DiscriminatorBlock(_Block):
    """Adds the discriminator's downsampling option."""

    def __init__(self, filters, downsample=True, **kwargs):
        super().__init__(filters, **kwargs)
        self.downsample = downsample
        self.pooling = keras.layers.AveragePooling2D(2, dtype=self.dtype_policy)

    def maybe_downsample(self, x):
        return self.pooling(x) if self.downsample else x

    def get_config(self):
        config = super().get_config()
        config.update(downsample=self.downsample)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class DiscriminatorResBlock(_DiscriminatorBlock):
    """ReLU, conv3x3, ReLU, conv3x3, average-pool x2, plus a 1x1-conv shortcut.

    `optimized=True` is the first block of SNGAN's D (Miyato et al. 2018): conv3x3, ReLU, conv3x3,
    pool, with shortcut conv1x1(pool(x)), so no ReLU touches the image. Otherwise the shortcut is a
    learnable 1x1 convolution (then pooling) whenever channels or resolution change, else the
    identity. `normalization` ("layer", "batch" or "none") goes before each ReLU + conv pair.
    """

    def __init__(self, filters, optimized=False, normalization="none", **kwargs):
        super().__init__(filters, **kwargs)
        self.optimized = optimized
        self.normalization = normalization
        self.norm1 = discriminator_norm(normalization, dtype=self.dtype_policy)
        self.norm2 = discriminator_norm(normalization, dtype=self.dtype_policy)
        self.conv1 = self.conv(filters, 3)
        self.conv2 = self.conv(filters, 3)

    def build(self, inputs_shape):
        learnable = self.optimized or self.downsample or inputs_shape[-1] != self.filters
        self.shortcut = self.conv(self.filters, 1) if learnable else None

    def call(self, inputs, training=None):
        if self.optimized:
            h = self.conv1(inputs, training=training)
            shortcut = self.shortcut(self.maybe_downsample(inputs), training=training)
        else:
            h = _relu(apply_norm(self.norm1, inputs, training=training))
            h = self.conv1(h, training=training)
            shortcut = inputs
            if self.shortcut is not None:
                shortcut = self.maybe_downsample(self.shortcut(inputs, training=training))
        h = _relu(apply_norm(self.norm2, h, training=training))
        h = self.maybe_downsample(self.conv2(h, training=training))
        return h + shortcut

    def get_config(self):
        config = super().get_config()
        config.update(optimized=self.optimized, normalization=self.normalization)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class DiscriminatorBottleneckBlock(_DiscriminatorBlock):
    """BigGAN-deep discriminator block (Brock et al. 2019, Figure 16 right).

    ReLU-conv1x1 (to filters/4), two ReLU-conv3x3, ReLU, average-pool, conv1x1 (to `filters`).
    The shortcut is pooled and, when channels grow, concatenated with a learnable 1x1 convolution
    that supplies the missing `filters - C_in` channels.
    """

    def __init__(self, filters, channel_ratio=4, **kwargs):
        super().__init__(filters, **kwargs)
        self.channel_ratio = channel_ratio
        hidden = filters // channel_ratio
        self.convs = [
            self.conv(hidden, 1),
            self.conv(hidden, 3),
            self.conv(hidden, 3),
            self.conv(filters, 1),
        ]

    def build(self, inputs_shape):
        in_channels = inputs_shape[-1]
        if self.filters < in_channels:
            raise ValueError(
                f"DiscriminatorBottleneckBlock grows channels on its shortcut, so filters "
                f"({self.filters}) must be at least the input channels ({in_channels})."
            )
        extra = self.filters - in_channels
        self.shortcut = self.conv(extra, 1) if extra else None

    def call(self, inputs, training=None):
        conv1, conv2, conv3, conv4 = self.convs
        h = conv1(_relu(inputs), training=training)
        h = conv2(_relu(h), training=training)
        h = conv3(_relu(h), training=training)
        h = conv4(self.maybe_downsample(_relu(h)), training=training)
        shortcut = self.maybe_downsample(inputs)
        if self.shortcut is not None:
            extra = self.shortcut(shortcut, training=training)
            shortcut = tf.concat([shortcut, extra], axis=-1)
        return h + shortcut

    def get_config(self):
        config = super().get_config()
        config.update(channel_ratio=self.channel_ratio)
        return config
