"""Discriminator output heads."""

import keras
import tensorflow as tf

from compare_gan_tf.layers.base import NormalizableLayer


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ProjectionHead(NormalizableLayer):
    """logit = psi(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama 2018, eq. 3).

    Takes pooled features phi(x) [B, C] and, when `num_classes` is set, int labels y [B]; returns
    logits [B, 1]. psi is a linear map with bias. Without `num_classes` only psi is applied
    (an unconditional discriminator). `spectral_norm` applies to psi and the class embedding.
    """

    def __init__(self, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.linear = self.normalize(
            keras.layers.Dense(1, kernel_initializer=self.initializer(), dtype=self.dtype_policy)
        )

    def build(self, features_shape, labels_shape=None):
        self.linear.build(features_shape)
        if self.num_classes:
            embedding = keras.layers.Embedding(
                self.num_classes,
                features_shape[-1],
                embeddings_initializer=self.initializer(),
                dtype=self.dtype_policy,
            )
            self.embedding = self.normalize(embedding)
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
        config.update(num_classes=self.num_classes)
        return config
