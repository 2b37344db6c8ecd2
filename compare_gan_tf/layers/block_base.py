"""The bases of the residual blocks (blocks.py) and BigGAN-deep's bottleneck blocks
(bottleneck_blocks.py): shared options, convolutions, normalizations and resampling."""

import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers.base import NormalizableLayer
from compare_gan_tf.layers.normalization import BatchNorms

# 2x upsampling in generator blocks: nearest neighbour, or compare_gan's zero insertion.
UPSAMPLINGS = ("nearest", "zeros")


def zero_insertion_upsampling(x):
    """[B, H, W, C] -> [B, 2H, 2W, C]: each value at the top left of its 2x2 cell, zeros in the
    other three, as compare_gan's resnet_ops.unpool (Dosovitskiy et al. 2015's unpooling)."""
    zeros = tf.zeros_like(x)
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    # Columns: value, zero, value, zero, ...; then rows: that row, a row of zeros, ...
    rows = tf.reshape(tf.stack([x, zeros], axis=3), [-1, height, 2 * width, channels])
    cells = tf.stack([rows, tf.zeros_like(rows)], axis=2)
    return tf.reshape(cells, [-1, 2 * height, 2 * width, channels])


class Block(BatchNorms, NormalizableLayer):
    """Holds the options every block shares (BN momentum and epsilon among them); `BatchNorms`
    builds its convolutions and batch norms."""

    def __init__(self, filters, bn_momentum=0.99, bn_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.bn_momentum = bn_momentum
        self.bn_epsilon = bn_epsilon

    def bottleneck_convs(self, hidden):
        """BigGAN-deep's four convolutions: 1x1 to `hidden` channels, two 3x3, 1x1 to `filters`."""
        return [
            self.conv(hidden, 1),
            self.conv(hidden, 3),
            self.conv(hidden, 3),
            self.conv(self.filters, 1),
        ]

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, bn_momentum=self.bn_momentum, bn_epsilon=self.bn_epsilon
        )
        return config


class GeneratorBlock(Block):
    """Adds the generator's normalization options."""

    def __init__(
        self,
        filters,
        upsample=True,
        normalization="batch",
        num_classes=None,
        synchronized=False,
        cbn_gain="one_plus_gamma",
        upsampling="nearest",
        **kwargs,
    ):
        super().__init__(filters, **kwargs)
        self.upsample = upsample
        self.upsampling_kind = check_choice("upsampling", upsampling, UPSAMPLINGS, colon=True)
        self.normalization = normalization
        self.num_classes = num_classes
        self.synchronized = synchronized
        self.cbn_gain = cbn_gain
        self.upsampling = keras.layers.UpSampling2D(
            2, interpolation="nearest", dtype=self.dtype_policy
        )

    def norm(self):
        return self.make_generator_norm(
            self.normalization, self.num_classes, self.synchronized, self.cbn_gain
        )

    def maybe_upsample(self, x):
        if not self.upsample:
            return x
        if self.upsampling_kind == "zeros":
            return zero_insertion_upsampling(x)
        return self.upsampling(x)

    def get_config(self):
        config = super().get_config()
        config.update(
            upsample=self.upsample,
            normalization=self.normalization,
            num_classes=self.num_classes,
            synchronized=self.synchronized,
            cbn_gain=self.cbn_gain,
            upsampling=self.upsampling_kind,
        )
        return config


class DiscriminatorBlock(Block):
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
