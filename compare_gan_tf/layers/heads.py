"""Discriminator output heads."""

import keras
import tensorflow as tf

from compare_gan_tf.layers.initializers import fresh_initializer
from compare_gan_tf.layers.spectral_norm import maybe_spectral_norm


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ProjectionHead(keras.layers.Layer):
    """logit = psi(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama 2018, eq. 3).

    Takes pooled features phi(x) [B, C] and, when `num_classes` is set, int labels y [B]; returns
    logits [B, 1]. psi is a linear map with bias. Without `num_classes` only psi is applied
    (an unconditional discriminator). `spectral_norm` applies to psi and the class embedding.
    """

    def __init__(
        self,
        num_classes=None,
        spectral_norm="none",
        sn_scale=1.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.spectral_norm = spectral_norm
        self.sn_scale = sn_scale
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.linear = maybe_spectral_norm(
            keras.layers.Dense(1, kernel_initializer=fresh_initializer(self.kernel_initializer)),
            spectral_norm,
            sn_scale,
        )

    def build(self, features_shape, labels_shape=None):
        self.linear.build(features_shape)
        if self.num_classes:
            embedding = keras.layers.Embedding(
                self.num_classes,
                features_shape[-1],
                embeddings_initializer=fresh_initializer(self.kernel_initializer),
            )
            self.embedding = maybe_spectral_norm(embedding, self.spectral_norm, self.sn_scale)
            self.embedding.build((None,))

    def call(self, features, labels=None, training=None):
        logits = self.linear(features, training=training)
        if not self.num_classes:
            return logits
        if labels is None:
            raise ValueError(
                f"ProjectionHead has num_classes={self.num_classes} and needs int labels [B]; "
                "pass labels, or build it with num_classes=None for an unconditional head."
            )
        class_embedding = self.embedding(labels, training=training)
        return logits + tf.reduce_sum(class_embedding * features, axis=-1, keepdims=True)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            spectral_norm=self.spectral_norm,
            sn_scale=self.sn_scale,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
