"""Discriminator output heads."""

import keras
import tensorflow as tf

from compare_gan_tf.layers.base import NormalizableLayer


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class ProjectionHead(NormalizableLayer):
    """Projection discriminator output: a linear logit plus a class-embedding inner product.

    Computes logit = psi(phi(x)) + <embed(y), phi(x)> from pooled features phi(x) [B, C] and int
    labels y [B]; psi is a linear map with bias. Without `num_classes` only psi is applied (an
    unconditional discriminator). `spectral_norm` applies to psi and the class embedding.

    Args:
        num_classes: int or None, default None. Number of classes of the label embedding; None
            gives an unconditional head.
        spectral_norm: str, default "none". "none", "sn" or "bssn" for psi and the embedding.
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        kernel_initializer: default "glorot_uniform". Initializer of psi and the embedding.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

    Call arguments:
        features: float tensor [B, C], the pooled discriminator features phi(x).
        labels: int tensor [B]; required when `num_classes` is set, ignored otherwise.
        training: bool. When True, spectral normalization updates its power-iteration vectors.

    Returns:
        Logits [B, 1].

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import ProjectionHead
    >>> keras.utils.set_random_seed(0)
    >>> head = ProjectionHead(num_classes=10, spectral_norm="sn")
    >>> features = keras.random.normal((4, 32))
    >>> labels = np.array([0, 1, 2, 3])
    >>> logits = head(features, labels)
    >>> tuple(logits.shape)
    (4, 1)
    >>> projection = np.sum(head.embedding(labels) * features, axis=-1, keepdims=True)
    >>> bool(np.allclose(logits, head.linear(features) + projection, atol=1e-5))
    True

    Reference:
        Miyato and Koyama, "cGANs with Projection Discriminator", ICLR 2018, eq. 3.
    """

    def __init__(self, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.linear = self.dense(1)

    def build(self, features_shape, labels_shape=None):
        self.linear.build(features_shape)
        if self.num_classes:
            embedding = keras.layers.Embedding(
                self.num_classes,
                features_shape[-1],
                embeddings_initializer=self.new_initializer(),
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
