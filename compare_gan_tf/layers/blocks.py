"""Residual blocks of the ResNet GANs (Gulrajani et al. 2017; Miyato et al. 2018), on the bases
in block_base.py.

Upsampling is nearest-neighbour and shortcuts are 1x1 convolutions by default; compare_gan's
zero insertion and 3x3 shortcuts are options (upsampling="zeros", shortcut="conv3x3").
"""

import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers.block_base import DiscriminatorBlock, GeneratorBlock
from compare_gan_tf.layers.normalization import apply_norm

_relu = tf.nn.relu
# "auto": a 1x1 convolution when the block changes the shape, else the identity. "conv3x3": a
# 3x3 convolution always (compare_gan resnet_ops.ResNetBlock). "none_if_same_channels", D only:
# a 1x1 convolution when channels change, else no shortcut (compare_gan resnet_biggan D blocks).
GENERATOR_SHORTCUTS = ("auto", "conv3x3")
DISCRIMINATOR_SHORTCUTS = ("auto", "conv3x3", "none_if_same_channels")


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorResBlock(GeneratorBlock):
    """Residual generator block of the ResNet GANs: two 3x3 convolutions with 2x upsampling.

    The main path is norm, ReLU, upsample x2 (nearest), conv3x3, norm, ReLU, conv3x3. The shortcut
    is the upsampled input, through a learnable 1x1 convolution whenever channels or resolution
    change. `normalization` is "batch", "conditional" (labels or a conditioning vector),
    "self_modulated" (z) or "none"; the condition goes in as the second argument of `call`.
    compare_gan's ResNet blocks upsampled by inserting zeros (upsampling="zeros") and always
    used a 3x3 convolution on the upsampled input as the shortcut (shortcut="conv3x3").

    Args:
        filters: int. Output channels.
        upsample: bool, default True. Double the height and width.
        normalization: str, default "batch". "none", "batch", "conditional" or "self_modulated".
        num_classes: int or None, default None. For "conditional": the condition is then an int
            label; with None it is a float vector.
        synchronized: bool, default False. Cross-replica batch statistics.
        cbn_gain: str, default "one_plus_gamma". Gain of "conditional" normalization: 1 + gamma(c),
            or "gamma" alone as compare_gan's conditional_batch_norm (see ConditionalBatchNorm).
        upsampling: str, default "nearest". "nearest", or "zeros": each value at the top left
            of its 2x2 cell and zeros elsewhere (compare_gan's resnet_ops.unpool).
        shortcut: str, default "auto". "auto" (a 1x1 convolution when channels or resolution
            change, else the identity) or "conv3x3" (always a 3x3 convolution).
        spectral_norm: str, default "none". "none", "sn" or "bssn" for every convolution (and
            the conditional normalizations' linear maps).
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        bn_momentum, bn_epsilon: floats, default 0.99 and 1e-5. Momentum and epsilon of the
            batch norms.
        kernel_initializer: default "glorot_uniform". Initializer of the convolutions.
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

    def __init__(self, filters, shortcut="auto", **kwargs):
        super().__init__(filters, **kwargs)
        self.shortcut_kind = check_choice("shortcut", shortcut, GENERATOR_SHORTCUTS, colon=True)
        self.norm1 = self.norm()
        self.norm2 = self.norm()
        self.conv1 = self.conv(filters, 3)
        self.conv2 = self.conv(filters, 3)

    def build(self, inputs_shape, condition_shape=None):
        if self.shortcut_kind == "conv3x3":
            # compare_gan resnet_ops.ResNetBlock: shortcut = conv3x3(unpool(x)), always.
            self.shortcut = self.conv(self.filters, 3)
            return
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

    def get_config(self):
        config = super().get_config()
        config.update(shortcut=self.shortcut_kind)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class DiscriminatorResBlock(DiscriminatorBlock):
    """Residual discriminator block of the ResNet GANs: two 3x3 convolutions with 2x pooling.

    The main path is ReLU, conv3x3, ReLU, conv3x3, average-pool x2. `optimized=True` is the first
    block of SNGAN's D: conv3x3, ReLU, conv3x3, pool, with shortcut conv1x1(pool(x)), so no ReLU
    touches the image. Otherwise the shortcut is a learnable 1x1 convolution (then pooling)
    whenever channels or resolution change, else the identity. `normalization` ("layer",
    "batch" or "none") goes before each ReLU + conv pair. compare_gan's ResNet blocks always
    pooled a 3x3 convolution of the input as the shortcut (shortcut="conv3x3"); its BigGAN D
    blocks had a 1x1 one when channels change and none otherwise ("none_if_same_channels").

    Args:
        filters: int. Output channels.
        optimized: bool, default False. Use SNGAN's first-block layout (for the image input).
        normalization: str, default "none". "none", "batch" or "layer".
        downsample: bool, default True. Halve the height and width by average pooling.
        shortcut: str, default "auto". "auto" (a 1x1 convolution when channels or resolution
            change, else the identity), "conv3x3" (always a 3x3 convolution, then pooling) or
            "none_if_same_channels" (a 1x1 convolution when channels change, else none).
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

    def __init__(self, filters, optimized=False, normalization="none", shortcut="auto", **kwargs):
        super().__init__(filters, **kwargs)
        self.optimized = optimized
        self.normalization = normalization
        self.shortcut_kind = check_choice("shortcut", shortcut, DISCRIMINATOR_SHORTCUTS, colon=True)
        self.norm1 = self.make_discriminator_norm(normalization)
        self.norm2 = self.make_discriminator_norm(normalization)
        self.conv1 = self.conv(filters, 3)
        self.conv2 = self.conv(filters, 3)

    def build(self, inputs_shape):
        changes_channels = inputs_shape[-1] != self.filters
        self.skip = self.shortcut_kind != "none_if_same_channels" or changes_channels
        if self.shortcut_kind == "conv3x3":
            # compare_gan resnet_ops.ResNetBlock: shortcut = pool(conv3x3(x)), always.
            self.shortcut = self.conv(self.filters, 3)
            return
        if self.shortcut_kind == "none_if_same_channels":
            # compare_gan resnet_biggan.Discriminator: add_shortcut = in_channels != out_channels.
            learnable = changes_channels
        else:
            learnable = self.optimized or self.downsample or changes_channels
        self.shortcut = self.conv(self.filters, 1) if learnable else None

    def call(self, inputs, training=None):
        if self.optimized:
            h = self.conv1(inputs, training=training)
        else:
            h = _relu(apply_norm(self.norm1, inputs, training=training))
            h = self.conv1(h, training=training)
        shortcut = self._shortcut_path(inputs, training)
        h = _relu(apply_norm(self.norm2, h, training=training))
        h = self.maybe_downsample(self.conv2(h, training=training))
        return h if shortcut is None else h + shortcut

    def _shortcut_path(self, inputs, training):
        """The shortcut's output, or None when the block has no shortcut."""
        if not self.skip:
            return None
        if self.shortcut is None:
            return inputs
        if self.optimized and self.shortcut_kind != "conv3x3":
            # Pooling first is the same for a 1x1 convolution and cheaper (SNGAN's order).
            return self.shortcut(self.maybe_downsample(inputs), training=training)
        return self.maybe_downsample(self.shortcut(inputs, training=training))

    def get_config(self):
        config = super().get_config()
        config.update(
            optimized=self.optimized, normalization=self.normalization, shortcut=self.shortcut_kind
        )
        return config
