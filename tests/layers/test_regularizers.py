"""Orthogonal regularization, initializers by name, against numpy and finite differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.layers import (
    OrthogonalRegularizer,
    SpectralNormalization,
    fresh_initializer,
    get_initializer,
    orthogonal_regularization_loss,
    orthogonality_penalty,
)


def _numpy_penalty(kernel, beta):
    """BigGAN eq. 3 computed directly: beta * sum of squared off-diagonal entries of W^T W."""
    matrix = kernel.reshape(-1, kernel.shape[-1])
    gram = matrix.T @ matrix
    np.fill_diagonal(gram, 0.0)
    return beta * np.sum(gram**2)


@pytest.mark.parametrize("shape", [(6, 4), (3, 3, 5, 8)])
def test_penalty_matches_numpy(shape):
    kernel = np.random.randn(*shape).astype("float32")
    np.testing.assert_allclose(
        OrthogonalRegularizer(beta=1e-4)(kernel), _numpy_penalty(kernel, 1e-4), rtol=1e-5
    )


def test_penalty_is_zero_for_orthogonal_columns():
    kernel = np.linalg.qr(np.random.randn(10, 4))[0] * np.array([1.0, 2.0, 3.0, 0.5])
    assert float(orthogonality_penalty(kernel, beta=1.0)) < 1e-10  # column norms stay free


def test_penalty_gradient_matches_finite_differences():
    kernel = tf.Variable(np.random.randn(2, 2, 3, 4))
    with tf.GradientTape() as tape:
        value = orthogonality_penalty(kernel, beta=0.5)
    gradient = tape.gradient(value, kernel).numpy()
    base, step = kernel.numpy(), 1e-6
    numeric = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        delta = np.zeros_like(base)
        delta[index] = step
        numeric[index] = (_numpy_penalty(base + delta, 0.5) - _numpy_penalty(base - delta, 0.5)) / (
            2 * step
        )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)


def test_model_loss_covers_kernels_but_not_embeddings_or_vectors():
    labels = keras.Input((), dtype="int32")
    z = keras.Input((4,))
    embedded = keras.layers.Embedding(10, 4)(labels)
    hidden = SpectralNormalization(keras.layers.Dense(6))(keras.layers.Concatenate()([z, embedded]))
    images = keras.layers.Conv2D(3, 3, padding="same")(keras.layers.Reshape((1, 1, 6))(hidden))
    model = keras.Model([z, labels], keras.layers.BatchNormalization()(images))

    kernels = [v.numpy() for v in model.trainable_variables if v.name == "kernel"]
    assert len(kernels) == 2  # the raw Dense kernel under SN and the Conv2D kernel
    expected = sum(_numpy_penalty(k, 1e-4) for k in kernels)
    np.testing.assert_allclose(orthogonal_regularization_loss(model), expected, rtol=1e-5)


def test_initializers_by_name():
    orthogonal = get_initializer("orthogonal")((20, 8)).numpy()
    np.testing.assert_allclose(orthogonal.T @ orthogonal, np.eye(8), atol=1e-5)
    normal = get_initializer("normal")((200, 200)).numpy()
    assert abs(normal.std() - 0.02) < 0.001 and abs(normal.mean()) < 0.001
    truncated = get_initializer("truncated")((200, 200)).numpy()
    assert np.abs(truncated).max() <= 0.04 + 1e-7  # truncated at 2 standard deviations
    limit = np.sqrt(6 / (30 + 50))  # Glorot uniform bound
    xavier = get_initializer("xavier")((30, 50)).numpy()
    assert np.abs(xavier).max() <= limit and np.abs(xavier).max() > 0.9 * limit
    with pytest.raises(ValueError, match="Unknown weight initializer 'he'"):
        get_initializer("he")


def test_fresh_initializer_gives_each_layer_its_own_values():
    shared = keras.initializers.Orthogonal()
    first, second = fresh_initializer(shared)((4, 4)), fresh_initializer(shared)((4, 4))
    assert not np.allclose(first, second)
