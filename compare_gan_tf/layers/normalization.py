"""Batch normalization whose gain and bias depend on a condition: class labels, a vector, or z.

Plain (and cross-replica) batch norm is `keras.layers.BatchNormalization(synchronized=...)`.
With `synchronized=True`, mean and variance are taken over the global batch across replicas
(BigGAN's cross-replica BN); the layers here standardize with that same Keras layer.
"""

import keras
import tensorflow as tf

from compare_gan_tf.layers.base import NormalizableLayer


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


class _ModulatedBatchNorm(NormalizableLayer):
    """Shared part: standardize x, then x_hat * gain(condition) + bias(condition)."""

    def __init__(self, momentum=0.99, epsilon=1e-5, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.epsilon = epsilon
        self.synchronized = synchronized
        self.standardize = _standardizer(momentum, epsilon, synchronized, self.dtype_policy)

    def dense(self, units, **kwargs):
        return self.normalize(
            keras.layers.Dense(
                units, kernel_initializer=self.initializer(), dtype=self.dtype_policy, **kwargs
            )
        )

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
class ConditionalBatchNorm(_ModulatedBatchNorm):
    """Batch norm with gain (1 + gamma(c)) and bias beta(c) (de Vries et al. 2017; BigGAN).

    With `num_classes`, c is an int label [B] and gamma, beta are zero-initialized embeddings, so
    the layer starts as plain BN. Without it, c is a float vector [B, D] (BigGAN: the shared class
    embedding concatenated with a z chunk) mapped to gamma and beta by bias-free linear maps
    (orthogonally initialized, as in BigGAN), spectrally normalized when `spectral_norm` says so.
    The "+1" keeps the gain centred at 1; compare_gan omitted it (its issue 54), starting every
    gain near 0.
    """

    def __init__(self, num_classes=None, kernel_initializer="orthogonal", **kwargs):
        super().__init__(kernel_initializer=kernel_initializer, **kwargs)
        self.num_classes = num_classes

    def _condition_map(self, channels):
        if self.num_classes:
            return keras.layers.Embedding(
                self.num_classes, channels, embeddings_initializer="zeros", dtype=self.dtype_policy
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
        return 1.0 + gamma, beta

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class SelfModulationBatchNorm(_ModulatedBatchNorm):
    """Batch norm whose gain and bias are functions of z (Chen et al., ICLR 2019).

    A shared hidden layer h = ReLU(W1 z + b1) feeds gain = W_g h + b_g (b_g initialized to 1, as in
    compare_gan, so the gain starts near 1) and bias = W_b h + b_b.
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


GENERATOR_NORMALIZATIONS = ("none", "batch", "conditional", "self_modulated")
DISCRIMINATOR_NORMALIZATIONS = ("none", "batch", "layer")


def generator_norm(kind, num_classes=None, spectral_norm="none", synchronized=False, dtype=None):
    """A generator normalization layer by name, or None for "none"; `dtype` is its policy."""
    if kind == "none":
        return None
    if kind == "batch":
        return keras.layers.BatchNormalization(epsilon=1e-5, synchronized=synchronized, dtype=dtype)
    if kind == "conditional":
        return ConditionalBatchNorm(
            num_classes=num_classes,
            spectral_norm=spectral_norm,
            synchronized=synchronized,
            dtype=dtype,
        )
    if kind == "self_modulated":
        return SelfModulationBatchNorm(
            spectral_norm=spectral_norm, synchronized=synchronized, dtype=dtype
        )
    raise ValueError(
        f"Unknown generator normalization {kind!r}; "
        f"use one of {', '.join(GENERATOR_NORMALIZATIONS)}."
    )


def discriminator_norm(kind, dtype=None):
    """A discriminator normalization layer by name, or None for "none"; `dtype` is its policy."""
    if kind == "none":
        return None
    if kind == "batch":
        return keras.layers.BatchNormalization(epsilon=1e-5, dtype=dtype)
    if kind == "layer":
        # Layer norm over (H, W, C) with a per-channel gain and bias, as in Gulrajani et al. 2017
        # and the compare_gan study; keras LayerNormalization would normalize each pixel alone.
        return keras.layers.GroupNormalization(groups=1, epsilon=1e-5, dtype=dtype)
    raise ValueError(
        f"Unknown discriminator normalization {kind!r}; "
        f"use one of {', '.join(DISCRIMINATOR_NORMALIZATIONS)}."
    )


def apply_norm(norm, inputs, condition=None, training=None):
    """Applies a `generator_norm` or `discriminator_norm` layer; CBN and SMBN get `condition`."""
    if norm is None:
        return inputs
    if isinstance(norm, _ModulatedBatchNorm):
        if condition is None:
            raise ValueError(
                f"{type(norm).__name__} needs a condition (labels, a vector or z); pass one, "
                "or use "
                'normalization="batch".'
            )
        return norm(inputs, condition, training=training)
    return norm(inputs, training=training)
