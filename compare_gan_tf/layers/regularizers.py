"""Orthogonal regularization of kernels (Brock et al. 2019, BigGAN section 3.1)."""

import keras
import tensorflow as tf


def _gram_matrix(kernel):
    """W^T W of the kernel reshaped to (-1, out): correlations between output filters."""
    matrix = tf.reshape(kernel, [-1, kernel.shape[-1]])
    return tf.matmul(matrix, matrix, transpose_a=True)


def orthogonality_penalty(kernel, beta=1e-4):
    """Returns BigGAN's orthogonal regularization of one kernel: beta * ||W^T W * (1 - I)||_F^2.

    The kernel is reshaped to (-1, out); only the off-diagonal correlations between output filters
    are penalized, so the filters' norms are free. BigGAN-PyTorch adds 2*beta*(...)W to the
    gradient, which is the gradient of half this value; the paper's formula is used here, so
    beta=1e-4 is twice as strong as that code.

    Args:
        kernel: a weight (variable or tensor) of rank >= 2.
        beta: float, default 1e-4. Strength of the penalty.

    Returns:
        A scalar float tensor.

    Example:

    >>> import tensorflow as tf
    >>> from compare_gan_tf.layers import orthogonality_penalty
    >>> round(float(orthogonality_penalty(tf.eye(3), beta=1.0)), 2)  # orthogonal columns
    0.0
    >>> kernel = tf.constant([[1.0, 1.0], [0.0, 1.0]])  # W^T W = [[1, 1], [1, 2]]
    >>> round(float(orthogonality_penalty(kernel, beta=1.0)), 2)
    2.0

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        ICLR 2019, eq. 3.
    """
    gram = _gram_matrix(tf.convert_to_tensor(kernel))
    off_diagonal = gram * (1.0 - tf.eye(gram.shape[0], dtype=gram.dtype))
    return beta * tf.reduce_sum(tf.square(off_diagonal))


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Keras regularizer that applies BigGAN's orthogonal regularization to a kernel.

    The penalty is `orthogonality_penalty(kernel, beta)`: beta * ||W^T W * (1 - I)||_F^2 with W
    the kernel reshaped to (-1, out). Pass it as a layer's `kernel_regularizer`.

    Args:
        beta: float, default 1e-4. Strength of the penalty.

    Call arguments:
        kernel: the weight to regularize, of rank >= 2.

    Example:

    >>> import keras
    >>> import tensorflow as tf
    >>> from compare_gan_tf.layers import OrthogonalRegularizer
    >>> regularizer = OrthogonalRegularizer(beta=1.0)
    >>> round(float(regularizer(tf.constant([[1.0, 1.0], [0.0, 1.0]]))), 2)
    2.0
    >>> layer = keras.layers.Dense(2, kernel_initializer="ones", kernel_regularizer=regularizer)
    >>> layer.build((None, 3))  # W^T W = [[3, 3], [3, 3]]
    >>> [round(float(loss), 2) for loss in layer.losses]
    [18.0]

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        ICLR 2019, section 3.1.
    """

    def __init__(self, beta=1e-4):
        self.beta = beta

    def __call__(self, kernel):
        return orthogonality_penalty(kernel, self.beta)

    def get_config(self):
        return {"beta": self.beta}


def orthogonal_regularization_loss(model, beta=1e-4):
    """Returns the sum of `orthogonality_penalty` over the trainable kernels of a model.

    Meant for the generator, as in BigGAN. Embeddings (Keras weights named "embeddings", e.g. the
    shared class embedding) and parameters with fewer than 2 dimensions (biases, BN gains,
    attention gamma) are excluded. Raises ValueError if no kernel is left, e.g. before building.

    Args:
        model: a built Keras model or layer.
        beta: float, default 1e-4. Strength of the penalty.

    Returns:
        A scalar float tensor.

    Example:

    >>> import keras
    >>> from compare_gan_tf.layers import orthogonal_regularization_loss
    >>> model = keras.Sequential(
    ...     [
    ...         keras.Input((3,)),
    ...         keras.layers.Dense(2, kernel_initializer="ones"),  # penalty 18 with beta=1
    ...         keras.layers.Dense(2, kernel_initializer="orthogonal"),  # penalty 0
    ...     ]
    ... )
    >>> round(float(orthogonal_regularization_loss(model, beta=1.0)), 2)
    18.0

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        ICLR 2019, section 3.1.
    """
    kernels = [v for v in model.trainable_variables if len(v.shape) >= 2 and v.name != "embeddings"]
    if not kernels:
        raise ValueError(f"{model.name} has no trainable kernels to regularize; build it first.")
    return tf.add_n([orthogonality_penalty(kernel, beta) for kernel in kernels])
