"""BigGAN-deep's bottleneck blocks (Brock et al. 2019, Figure 16), on the bases in block_base.py."""

import keras
import tensorflow as tf

from compare_gan_tf.layers.block_base import DiscriminatorBlock, GeneratorBlock
from compare_gan_tf.layers.normalization import apply_norm

_relu = tf.nn.relu


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class GeneratorBottleneckBlock(GeneratorBlock):
    """BigGAN-deep generator block: a bottleneck of four convolutions with 2x upsampling.

    Each of its four convolutions, a 1x1 (to C_in / channel_ratio), two 3x3 and a 1x1 (to
    `filters`), is preceded by a normalization (conditional BN in BigGAN-deep) and a ReLU; the
    upsampling comes before the first 3x3. The shortcut keeps the first `filters` input
    channels ("drop channels") and is upsampled, so `filters` must not exceed the input channels.

    Args:
        filters: int. Output channels, at most the input channels.
        channel_ratio: int, default 4. The bottleneck has C_in / channel_ratio channels.
        upsample, normalization, num_classes, synchronized, cbn_gain, spectral_norm, sn_scale,
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


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class DiscriminatorBottleneckBlock(DiscriminatorBlock):
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
