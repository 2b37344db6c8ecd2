"""Residual blocks of the ResNet GANs (Gulrajani et al. 2017; Miyato et al. 2018) and BigGAN-deep.

Upsampling is nearest-neighbour and shortcuts are 1x1 convolutions; compare_gan upsampled by
inserting zeros and used 3x3 shortcuts, which these blocks deliberately do not copy.
"""

import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers.base import NormalizableLayer
from compare_gan_tf.layers.normalization import BatchNorms, apply_norm

_relu = tf.nn.relu
# How a generator block doubles its resolution: "nearest" (this library's default) or "zeros",
# compare_gan's resnet_ops.unpool, which puts each value top-left in its 2x2 block, zeros elsewhere.
UPSAMPLINGS = ("nearest", "zeros")


def insert_zeros(x):
    """[B, H, W, C] -> [B, 2H, 2W, C] with x[b, i, j] at [b, 2i, 2j] and zeros elsewhere
    (compare_gan's resnet_ops.unpool)."""
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    zeros = tf.zeros_like(x)
    rows = tf.reshape(tf.stack([x, zeros], axis=3), [-1, height, 2 * width, channels])
    both = tf.stack([rows, tf.zeros_like(rows)], axis=2)
    return tf.reshape(both, [-1, 2 * height, 2 * width, channels])


class _Block(BatchNorms, NormalizableLayer):
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


class _GeneratorBlock(_Block):
    """Adds the generator's normalization options."""

    def __init__(
        self,
        filters,
        upsample=True,
        normalization="batch",
        num_classes=None,
        synchronized=False,
        upsampling="nearest",
        **kwargs,
    ):
        super().__init__(filters, **kwargs)
        check_choice("generator block upsampling", upsampling, UPSAMPLINGS)
        self.upsample = upsample
        self.normalization = normalization
        self.num_classes = num_classes
        self.synchronized = synchronized
        self.upsampling_kind = upsampling
        self.upsampling = keras.layers.UpSampling2D(
            2, interpolation="nearest", dtype=self.dtype_policy
        )

    def norm(self):
        return self.make_generator_norm(self.normalization, self.num_classes, self.synchronized)

    def maybe_upsample(self, x):
        if not self.upsample:
            return x
        return insert_zeros(x) if self.upsampling_kind == "zeros" else self.upsampling(x)

    def get_config(self):
        config = super().get_config()
        config.update(
            upsample=self.upsample,
            normalization=self.normalization,
            num_classes=self.num_classes,
            synchronized=self.synchronized,
            upsampling=self.upsampling_kind,
        )
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorResBlock(_GeneratorBlock):
    """Residual generator block of the ResNet GANs: two 3x3 convolutions with 2x upsampling.

    The main path is norm, ReLU, upsample x2 (nearest), conv3x3, norm, ReLU, conv3x3. The shortcut
    is the upsampled input, through a learnable 1x1 convolution whenever channels or resolution
    change. `normalization` is "batch", "conditional" (labels or a conditioning vector),
    "self_modulated" (z) or "none"; the condition goes in as the second argument of `call`.

    Args:
        filters: int. Output channels.
        upsample: bool, default True. Double the height and width.
        normalization: str, default "batch". "none", "batch", "conditional" or "self_modulated".
        num_classes: int or None, default None. For "conditional": the condition is then an int
            label; with None it is a float vector.
        synchronized: bool, default False. Cross-replica batch statistics.
        spectral_norm: str, default "none". "none", "sn" or "bssn" for every convolution (and
            the conditional normalizations' linear maps).
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        bn_momentum, bn_epsilon: floats, default 0.99 and 1e-5. Momentum and epsilon of the
            batch norms.
        kernel_initializer: default "glorot_uniform". Initializer of the convolutions.
        upsampling: str, default "nearest". "zeros" is compare_gan's unpool (zero insertion).
        shortcut_kernel: int, default 1. 3 is compare_gan's resnet_ops shortcut: a 3x3
            convolution that every block has, even when channels and resolution stay.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

    Call arguments:
        inputs: float tensor [B, H, W, C].
        condition: labels [B], a float vector [B, D] or z, as `normalization` needs; default None.
        training: bool. Batch statistics and power-iteration updates when True.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import GeneratorResBlock
    >>> keras.utils.set_random_seed(0)
    >>> block = GeneratorResBlock(8, normalization="conditional", num_classes=10)
    >>> x = keras.random.normal((2, 4, 4, 16))
    >>> tuple(block(x, np.array([3, 7]), training=True).shape)
    (2, 8, 8, 8)

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017; Miyato et al.,
        "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
    """

    def __init__(self, filters, shortcut_kernel=1, **kwargs):
        super().__init__(filters, **kwargs)
        check_choice("generator block shortcut_kernel", shortcut_kernel, (1, 3))
        self.shortcut_kernel = shortcut_kernel
        self.norm1 = self.norm()
        self.norm2 = self.norm()
        self.conv1 = self.conv(filters, 3)
        self.conv2 = self.conv(filters, 3)

    def build(self, inputs_shape, condition_shape=None):
        # compare_gan's 3x3 shortcut is a convolution in every block.
        changes = self.upsample or inputs_shape[-1] != self.filters
        learnable = changes or self.shortcut_kernel == 3
        self.shortcut = self.conv(self.filters, self.shortcut_kernel) if learnable else None

    def call(self, inputs, condition=None, training=None):
        h = _relu(apply_norm(self.norm1, inputs, condition, training))
        h = self.conv1(self.maybe_upsample(h), training=training)
        h = _relu(apply_norm(self.norm2, h, condition, training))
        h = self.conv2(h, training=training)
        shortcut = self.maybe_upsample(inputs)
        if self.shortcut is not None:
            shortcut = self.shortcut(shortcut, training=training)
        return h + shortcut

    def get_config(self):
        config = super().get_config()
        config.update(shortcut_kernel=self.shortcut_kernel)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorBottleneckBlock(_GeneratorBlock):
    """BigGAN-deep generator block: a bottleneck of four convolutions with 2x upsampling.

    Each of its four convolutions, a 1x1 (to C_in / channel_ratio), two 3x3 and a 1x1 (to
    `filters`), is preceded by a normalization (conditional BN in BigGAN-deep) and a ReLU; the
    upsampling comes before the first 3x3. The shortcut keeps the first `filters` input
    channels ("drop channels") and is upsampled, so `filters` must not exceed the input channels.

    Args:
        filters: int. Output channels, at most the input channels.
        channel_ratio: int, default 4. The bottleneck has C_in / channel_ratio channels.
        upsample, normalization, num_classes, synchronized, spectral_norm, sn_scale,
            kernel_initializer, sn_power_iterations, bn_momentum, bn_epsilon, **kwargs: as in
            `GeneratorResBlock`.

    Call arguments:
        inputs: float tensor [B, H, W, C_in].
        condition: labels [B], a float vector [B, D] or z, as `normalization` needs; default None.
        training: bool. Batch statistics and power-iteration updates when True.

    Example:

    >>> import keras
    >>> from compare_gan_tf.layers import GeneratorBottleneckBlock
    >>> keras.utils.set_random_seed(0)
    >>> block = GeneratorBottleneckBlock(16, normalization="conditional", spectral_norm="sn")
    >>> x = keras.random.normal((2, 4, 4, 32))
    >>> condition = keras.random.normal((2, 20))  # shared class embedding and a z chunk
    >>> tuple(block(x, condition, training=True).shape)
    (2, 8, 8, 16)
    >>> [conv.layer.filters for conv in block.convs]  # 32 / channel_ratio in the bottleneck
    [8, 8, 8, 16]

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        ICLR 2019, Figure 16 (left).
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
        self.convs = self.bottleneck_convs(in_channels // self.channel_ratio)

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
    """Residual discriminator block of the ResNet GANs: two 3x3 convolutions with 2x pooling.

    The main path is ReLU, conv3x3, ReLU, conv3x3, average-pool x2. `optimized=True` is the first
    block of SNGAN's D: conv3x3, ReLU, conv3x3, pool, with shortcut conv1x1(pool(x)), so no ReLU
    touches the image. Otherwise the shortcut is a learnable 1x1 convolution (then pooling)
    whenever channels or resolution change, else the identity. `normalization` ("layer",
    "batch" or "none") goes before each ReLU + conv pair.

    Args:
        filters: int. Output channels.
        optimized: bool, default False. Use SNGAN's first-block layout (for the image input).
        normalization: str, default "none". "none", "batch" or "layer".
        downsample: bool, default True. Halve the height and width by average pooling.
        spectral_norm: str, default "none". "none", "sn" or "bssn" for every convolution.
        sn_scale, sn_power_iterations, bn_momentum, bn_epsilon, kernel_initializer, **kwargs: as
            in `GeneratorResBlock`.

    Call arguments:
        inputs: float tensor [B, H, W, C].
        training: bool. Batch statistics and power-iteration updates when True.

    Example:

    >>> import keras
    >>> from compare_gan_tf.layers import DiscriminatorResBlock
    >>> keras.utils.set_random_seed(0)
    >>> first = DiscriminatorResBlock(16, optimized=True, spectral_norm="sn")
    >>> h = first(keras.random.normal((2, 8, 8, 3)), training=True)
    >>> tuple(h.shape)
    (2, 4, 4, 16)
    >>> same = DiscriminatorResBlock(16, downsample=False)
    >>> tuple(same(h).shape), same.shortcut is None  # identity shortcut
    ((2, 4, 4, 16), True)

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017; Miyato et al.,
        "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
    """

    def __init__(self, filters, optimized=False, normalization="none", **kwargs):
        super().__init__(filters, **kwargs)
        self.optimized = optimized
        self.normalization = normalization
        self.norm1 = self.make_discriminator_norm(normalization)
        self.norm2 = self.make_discriminator_norm(normalization)
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
    """BigGAN-deep discriminator block: a bottleneck of four convolutions with 2x pooling.

    ReLU-conv1x1 (to filters / channel_ratio), two ReLU-conv3x3, ReLU, average-pool, conv1x1 (to
    `filters`). The shortcut is pooled and, when channels grow, concatenated with a learnable 1x1
    convolution that supplies the missing `filters - C_in` channels, so `filters` must be at
    least the input channels.

    Args:
        filters: int. Output channels, at least the input channels.
        channel_ratio: int, default 4. The bottleneck has filters / channel_ratio channels.
        downsample, spectral_norm, sn_scale, sn_power_iterations, kernel_initializer, **kwargs:
            as in `DiscriminatorResBlock`.

    Call arguments:
        inputs: float tensor [B, H, W, C_in].
        training: bool. When True, spectral normalization updates its power-iteration vectors.

    Example:

    >>> import keras
    >>> from compare_gan_tf.layers import DiscriminatorBottleneckBlock
    >>> keras.utils.set_random_seed(0)
    >>> block = DiscriminatorBottleneckBlock(32, spectral_norm="sn")
    >>> tuple(block(keras.random.normal((2, 8, 8, 24)), training=True).shape)
    (2, 4, 4, 32)
    >>> block.shortcut.layer.filters  # supplies the 32 - 24 new channels
    8

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        ICLR 2019, Figure 16 (right).
    """

    def __init__(self, filters, channel_ratio=4, **kwargs):
        super().__init__(filters, **kwargs)
        self.channel_ratio = channel_ratio
        self.convs = self.bottleneck_convs(filters // channel_ratio)

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
