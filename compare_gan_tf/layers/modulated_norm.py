"""Batch normalization whose gain and bias depend on a condition: class labels, a vector, or z.

The layers standardize with `keras.layers.BatchNormalization(center=False, scale=False,
synchronized=...)`: with `synchronized=True`, mean and variance are taken over the global batch
across replicas (BigGAN's cross-replica BN). `normalization` picks these layers by name.
"""

import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers.base import NormalizableLayer

# The gain of ConditionalBatchNorm: 1 + gamma(c) (de Vries et al.; BigGAN) or gamma(c) alone.
CBN_GAINS = ("one_plus_gamma", "gamma")


def _standardizer(momentum, epsilon, synchronized, dtype):
    """Batch norm without affine parameters; the subclasses supply gain and bias."""
    return keras.layers.BatchNormalization(
        momentum=momentum,
        epsilon=epsilon,
        center=False,
        scale=False,
        synchronized=synchronized,
        dtype=dtype,
    )


def _broadcast_per_channel(values, rank):
    """[B, C] -> [B, 1, ..., 1, C] so that it broadcasts against a rank-`rank` activation."""
    shape = tf.concat([tf.shape(values)[:1], tf.ones([rank - 2], tf.int32), [values.shape[-1]]], 0)
    return tf.reshape(values, shape)


class ModulatedBatchNorm(NormalizableLayer):
    """Shared part: standardize x, then x_hat * gain(condition) + bias(condition)."""

    def __init__(self, momentum=0.99, epsilon=1e-5, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.epsilon = epsilon
        self.synchronized = synchronized
        self.standardize = _standardizer(momentum, epsilon, synchronized, self.dtype_policy)

    def gain_and_bias(self, condition, training):
        raise NotImplementedError

    def call(self, inputs, condition, training=None):
        normalized = self.standardize(inputs, training=training)
        gain, bias = self.gain_and_bias(condition, training)
        rank = len(inputs.shape)
        return normalized * _broadcast_per_channel(gain, rank) + _broadcast_per_channel(bias, rank)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, epsilon=self.epsilon, synchronized=self.synchronized)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ConditionalBatchNorm(ModulatedBatchNorm):
    """Batch normalization whose gain and bias depend on a class label or a conditioning vector.

    Standardizes x with batch statistics, then applies the gain (1 + gamma(c)) and bias beta(c).
    With `num_classes`, c is an int label [B] and gamma, beta are zero-initialized embeddings, so
    the layer starts as plain BN. Without it, c is a float vector [B, D] (BigGAN: the shared class
    embedding concatenated with a z chunk) mapped to gamma and beta by bias-free linear maps
    (orthogonally initialized, as in BigGAN), spectrally normalized when `spectral_norm` says so.
    The "+1" keeps the gain centred at 1; compare_gan omitted it (its issue 54), starting every
    gain near 0: gain="gamma" reproduces that, with gamma and beta (also label embeddings) then
    initialized by `kernel_initializer`, as its bias-free linear maps of one-hot labels were.

    Args:
        num_classes: int or None, default None. With an int, the condition is a label in
            [0, num_classes); with None, it is a float vector.
        kernel_initializer: default "orthogonal". Initializer of the linear maps (vector case,
            and label case with gain="gamma").
        gain: str, default "one_plus_gamma". "one_plus_gamma" scales by 1 + gamma(c); "gamma"
            by gamma(c) alone, as compare_gan's arch_ops.conditional_batch_norm did.
        momentum: float, default 0.99. Momentum of the moving mean and variance.
        epsilon: float, default 1e-5. Added to the variance before dividing.
        synchronized: bool, default False. Take the statistics over the global batch across
            replicas (BigGAN's cross-replica BN).
        spectral_norm: str, default "none". "none", "sn" or "bssn" for the linear maps.
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

    Call arguments:
        inputs: float tensor [B, ..., C], e.g. [B, H, W, C].
        condition: int labels [B] when `num_classes` is set, else a float tensor [B, D].
        training: bool. When True, batch statistics are used and the moving ones updated.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import ConditionalBatchNorm
    >>> keras.utils.set_random_seed(0)
    >>> x = keras.random.normal((4, 2, 2, 8))
    >>> cbn = ConditionalBatchNorm(num_classes=10)
    >>> y = cbn(x, np.array([0, 1, 2, 3]), training=True)
    >>> plain = keras.layers.BatchNormalization(epsilon=1e-5)(x, training=True)
    >>> tuple(y.shape), bool(np.allclose(y, plain, atol=1e-4))  # starts as plain BN
    ((4, 2, 2, 8), True)
    >>> vector_cbn = ConditionalBatchNorm(spectral_norm="sn")
    >>> tuple(vector_cbn(x, keras.random.normal((4, 20)), training=True).shape)
    (4, 2, 2, 8)

    Reference:
        de Vries et al., "Modulating early visual processing by language", NeurIPS 2017; Brock
        et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis", ICLR 2019.
    """

    def __init__(
        self, num_classes=None, kernel_initializer="orthogonal", gain="one_plus_gamma", **kwargs
    ):
        super().__init__(kernel_initializer=kernel_initializer, **kwargs)
        self.num_classes = num_classes
        self.gain = check_choice("ConditionalBatchNorm gain", gain, CBN_GAINS, colon=True)

    def _condition_map(self, channels):
        if self.num_classes:
            # compare_gan arch_ops.conditional_batch_norm: linear(one_hot(y)), a kernel's init.
            initializer = "zeros" if self.gain == "one_plus_gamma" else self.new_initializer()
            return keras.layers.Embedding(
                self.num_classes,
                channels,
                embeddings_initializer=initializer,
                dtype=self.dtype_policy,
            )
        return self.dense(channels, use_bias=False)

    def build(self, inputs_shape, condition_shape):
        channels = inputs_shape[-1]
        self.standardize.build(inputs_shape)
        self.gamma = self._condition_map(channels)
        self.beta = self._condition_map(channels)
        self.gamma.build(condition_shape)
        self.beta.build(condition_shape)

    def gain_and_bias(self, condition, training):
        gamma = self.gamma(condition, training=training)
        beta = self.beta(condition, training=training)
        if self.gain == "gamma":
            # compare_gan arch_ops.conditional_batch_norm: outputs * gamma(y) + beta(y), no +1.
            return gamma, beta
        # de Vries et al. 2017 / Brock et al. 2019: gain 1 + gamma(c), centred at 1.
        return 1.0 + gamma, beta

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes, gain=self.gain)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class SelfModulationBatchNorm(ModulatedBatchNorm):
    """Batch normalization whose gain and bias are functions of the latent vector z.

    A shared hidden layer h = ReLU(W1 z + b1) feeds gain = W_g h + b_g (b_g initialized to 1, as in
    compare_gan, so the gain starts near 1) and bias = W_b h + b_b. It lets an unconditional
    generator modulate every layer by z.

    Args:
        hidden_units: int, default 32. Width of the shared hidden layer.
        momentum: float, default 0.99. Momentum of the moving mean and variance.
        epsilon: float, default 1e-5. Added to the variance before dividing.
        synchronized: bool, default False. Take the statistics over the global batch across
            replicas.
        spectral_norm: str, default "none". "none", "sn" or "bssn" for the three linear maps.
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        kernel_initializer: default "glorot_uniform". Initializer of the linear maps.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

    Call arguments:
        inputs: float tensor [B, ..., C], e.g. [B, H, W, C].
        condition: float tensor [B, D], the latent vector z.
        training: bool. When True, batch statistics are used and the moving ones updated.

    Example:

    >>> import keras
    >>> from compare_gan_tf.layers import SelfModulationBatchNorm
    >>> keras.utils.set_random_seed(0)
    >>> smbn = SelfModulationBatchNorm(hidden_units=16)
    >>> z = keras.random.normal((4, 20))
    >>> tuple(smbn(keras.random.normal((4, 2, 2, 8)), z, training=True).shape)
    (4, 2, 2, 8)
    >>> [tuple(w.shape) for w in (smbn.hidden.kernel, smbn.gain.kernel, smbn.bias.kernel)]
    [(20, 16), (16, 8), (16, 8)]

    Reference:
        Chen et al., "On Self Modulation for Generative Adversarial Networks", ICLR 2019.
    """

    def __init__(self, hidden_units=32, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.hidden = self.dense(hidden_units, activation="relu")

    def build(self, inputs_shape, condition_shape):
        channels = inputs_shape[-1]
        self.standardize.build(inputs_shape)
        self.hidden.build(condition_shape)
        self.gain = self.dense(channels, bias_initializer="ones")
        self.bias = self.dense(channels)
        self.gain.build((None, self.hidden_units))
        self.bias.build((None, self.hidden_units))

    def gain_and_bias(self, condition, training):
        hidden = self.hidden(condition, training=training)
        return self.gain(hidden, training=training), self.bias(hidden, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=self.hidden_units)
        return config
