"""Residual blocks of the ResNet GANs (Gulrajani et al. 2017; Miyato et al. 2018), on the bases
in block_base.py.

Upsampling is nearest-neighbour and shortcuts are 1x1 convolutions; compare_gan upsampled by
inserting zeros and used 3x3 shortcuts, which these blocks deliberately do not copy.
"""

import keras
import tensorflow as tf

from compare_gan_tf.layers.block_base import DiscriminatorBlock, GeneratorBlock
from compare_gan_tf.layers.normalization import apply_norm, discriminator_norm

_relu = tf.nn.relu


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorResBlock(GeneratorBlock):
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
        cbn_gain: str, default "one_plus_gamma". Gain of "conditional" normalization: 1 + gamma(c),
            or "gamma" alone as compare_gan's conditional_batch_norm (see ConditionalBatchNorm).
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
class DiscriminatorResBlock(DiscriminatorBlock):
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
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        bn_momentum, bn_epsilon: floats, default 0.99 and 1e-5. Momentum and epsilon of the
            batch norms.
        kernel_initializer: default "glorot_uniform". Initializer of the convolutions.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

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
        self.norm1, self.norm2 = [
            discriminator_norm(normalization, self.dtype_policy, self.bn_momentum, self.bn_epsilon)
            for _ in range(2)
        ]
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
