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
    A negative label (-1) marks an unlabelled example: its projection term is 0, as for
    compare_gan's all-zero one-hot. Float labels [B, num_classes] (one-hot, soft or all-zero)
    weigh the class embeddings: embed(y) = y E (S3GAN's soft predicted labels).

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
        labels: int tensor [B] (-1: unlabelled), or float tensor [B, num_classes]; required when
            `num_classes` is set, ignored otherwise.
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
    >>> one_hot = np.eye(10, dtype="float32")[labels]
    >>> bool(np.allclose(head(features, one_hot), logits, atol=1e-5))
    True
    >>> unlabelled = head(features, np.array([-1, -1, -1, -1]))
    >>> bool(np.allclose(unlabelled, head.linear(features), atol=1e-5))
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
        class_embedding = self.class_embedding(labels, training=training)
        return logits + tf.reduce_sum(class_embedding * features, axis=-1, keepdims=True)

    def class_embedding(self, labels, training=None):
        """embed(y) [B, C]: rows of the embedding for int labels (zeros for a negative label),
        or y E for float labels [B, num_classes]."""
        labels = tf.convert_to_tensor(labels)
        if labels.dtype.is_floating:
            table = self.embedding(tf.range(self.num_classes), training=training)
            return tf.matmul(tf.cast(labels, table.dtype), table)
        rows = self.embedding(tf.maximum(labels, 0), training=training)
        return rows * tf.cast(labels >= 0, rows.dtype)[:, None]

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes)
        return config


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class LinearHead(NormalizableLayer):
    """An auxiliary linear head on pooled discriminator features: features [B, C] -> [B, units].

    A Dense layer with bias, named `dense_name`, spectrally normalized as the discriminator's
    weights are. SSGAN's rotation classifier and S3GAN's class predictor are such heads (in
    compare_gan, `discriminator_rotation/score_classify` and
    `discriminator_predictor/predictor_linear`).

    Args:
        units: int. Output width: 4 rotations, or the number of classes.
        dense_name: str, default "linear". The name of the Dense layer (its variables' path).
        spectral_norm: str, default "none". "none", "sn" or "bssn".
        sn_scale: float, default 1.0. BSSN's constant c.
        sn_power_iterations: int, default 1. SN's power-iteration steps per training call.
        kernel_initializer: default "glorot_uniform".
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`, `dtype`).

    Call arguments:
        features: float tensor [B, C].
        training: bool. When True, spectral normalization updates its power-iteration vector.

    Returns:
        Logits [B, units].

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from compare_gan_tf.layers import LinearHead
    >>> head = LinearHead(4, "score_classify", name="discriminator_rotation")
    >>> features = np.ones((2, 8), "float32")
    >>> tuple(head(features).shape)
    (2, 4)
    >>> [w.path for w in head.weights]
    ['discriminator_rotation/score_classify/kernel', 'discriminator_rotation/score_classify/bias']

    Reference:
        Chen et al., "Self-Supervised GANs via Auxiliary Rotation Loss", CVPR 2019, section 3.1.
    """

    def __init__(self, units, dense_name="linear", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense_name = dense_name
        self.linear = self.dense(units, name=dense_name)

    def build(self, features_shape):
        self.linear.build(features_shape)

    def call(self, features, training=None):
        return self.linear(features, training=training)

    def compute_output_shape(self, features_shape):
        return (*features_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, dense_name=self.dense_name)
        return config
