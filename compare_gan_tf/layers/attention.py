"""Self-attention (non-local) block of SAGAN as used in BigGAN."""

import keras
import tensorflow as tf

from compare_gan_tf.layers.base import NormalizableLayer


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class NonLocalBlock(NormalizableLayer):
    """Self-attention block of SAGAN and BigGAN, the identity at initialization.

    Computes y = x + gamma * o(softmax(theta(x) phi(x)^T) g(x)) over the H*W positions. theta and
    phi have C/8 channels, g has C/2; phi and g are 2x2 max-pooled, so the attention map is
    [B, HW, HW/4]. There is no 1/sqrt(d) scaling (SAGAN, compare_gan and BigGAN-PyTorch agree).
    gamma starts at 0, so the block is the identity at initialization. All four 1x1 convolutions
    are bias-free and spectrally normalized when `spectral_norm` is "sn" or "bssn". C must be
    divisible by 8, and H and W must be even.

    Args:
        spectral_norm: str, default "none". "none", "sn" or "bssn" for the 1x1 convolutions.
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        kernel_initializer: default "glorot_uniform". Initializer of the 1x1 convolutions.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

    Call arguments:
        inputs: float tensor [B, H, W, C].
        training: bool. When True, spectral normalization updates its power-iteration vectors.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import NonLocalBlock
    >>> keras.utils.set_random_seed(0)
    >>> block = NonLocalBlock(spectral_norm="sn")
    >>> x = keras.random.normal((2, 4, 4, 16))
    >>> y = block(x, training=True)
    >>> tuple(y.shape), bool(np.allclose(y, x))  # gamma = 0: the identity
    ((2, 4, 4, 16), True)
    >>> _ = block.gamma.assign(1.0)  # once gamma is learned, attention contributes
    >>> bool(np.allclose(block(x), x))
    False

    Reference:
        Zhang et al., "Self-Attention Generative Adversarial Networks", ICML 2019; Brock et al.,
        "Large Scale GAN Training for High Fidelity Natural Image Synthesis", ICLR 2019.
    """

    def _conv1x1(self, filters):
        conv = keras.layers.Conv2D(
            filters,
            1,
            use_bias=False,
            kernel_initializer=self.new_initializer(),
            dtype=self.dtype_policy,
        )
        return self.normalize(conv)

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if channels % 8:
            raise ValueError(
                f"NonLocalBlock needs channels divisible by 8 (theta/phi use C/8), got {channels}."
            )
        if (height is not None and height % 2) or (width is not None and width % 2):
            raise ValueError(
                f"NonLocalBlock max-pools 2x2, so height and width must be even; "
                f"got {height}x{width}. Place it at an even resolution."
            )
        self.theta = self._conv1x1(channels // 8)
        self.phi = self._conv1x1(channels // 8)
        self.g = self._conv1x1(channels // 2)
        self.attention_output = self._conv1x1(channels)
        for conv in (self.theta, self.phi, self.g):
            conv.build(input_shape)
        self.attention_output.build((None, height, width, channels // 2))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")
        self.pool = keras.layers.MaxPooling2D(pool_size=2, strides=2, dtype=self.dtype_policy)

    def call(self, inputs, training=None):
        batch, height, width = tf.unstack(tf.shape(inputs)[:3])
        channels = inputs.shape[-1]

        def flatten(x, depth):
            return tf.reshape(x, [batch, -1, depth])

        theta = flatten(self.theta(inputs, training=training), channels // 8)
        phi = flatten(self.pool(self.phi(inputs, training=training)), channels // 8)
        g = flatten(self.pool(self.g(inputs, training=training)), channels // 2)
        attention = tf.nn.softmax(tf.matmul(theta, phi, transpose_b=True), axis=-1)
        attended = tf.reshape(tf.matmul(attention, g), [batch, height, width, channels // 2])
        return inputs + self.gamma * self.attention_output(attended, training=training)
