"""Orthogonal regularization of kernels (Brock et al. 2019, BigGAN section 3.1)."""

import keras
import tensorflow as tf


def _gram_matrix(kernel):
    """W^T W of the kernel reshaped to (-1, out): correlations between output filters."""
    matrix = tf.reshape(kernel, [-1, kernel.shape[-1]])
    return tf.matmul(matrix, matrix, transpose_a=True)


def orthogonality_penalty(kernel, beta=1e-4):
    """beta * ||W^T W * (1 - I)||_F^2 (BigGAN eq. 3): only off-diagonal correlations are penalized.

    BigGAN-PyTorch adds 2*beta*(...)W to the gradient, which is the gradient of half this value;
    the paper's formula is used here, so beta=1e-4 is twice as strong as that code.
    """
    gram = _gram_matrix(tf.convert_to_tensor(kernel))
    off_diagonal = gram * (1.0 - tf.eye(gram.shape[0], dtype=gram.dtype))
    return beta * tf.reduce_sum(tf.square(off_diagonal))


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Keras regularizer form of `orthogonality_penalty`."""

    def __init__(self, beta=1e-4):
        self.beta = beta

    def __call__(self, kernel):
        return orthogonality_penalty(kernel, self.beta)

    def get_config(self):
        return {"beta": self.beta}


def orthogonal_regularization_loss(model, beta=1e-4):
    """Sum of `orthogonality_penalty` over the trainable kernels of `model` (a generator).

    As in BigGAN, embeddings (Keras weights named "embeddings", e.g. the shared class embedding)
    and parameters with fewer than 2 dimensions (biases, BN gains, attention gamma) are excluded.
    """
    kernels = [v for v in model.trainable_variables if len(v.shape) >= 2 and v.name != "embeddings"]
    if not kernels:
        raise ValueError(f"{model.name} has no trainable kernels to regularize; build it first.")
    return tf.add_n([orthogonality_penalty(kernel, beta) for kernel in kernels])
