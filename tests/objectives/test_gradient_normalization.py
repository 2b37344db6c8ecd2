"""GN and PGN: exact values on a linear D, the papers' bounds on random ReLU networks, training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import gradient_normalized, hinge, penalty_gradient_normalized

SHAPE = (200, 3, 3, 2)


def _linear_d():
    w = tf.Variable(0.4 * np.random.randn(*SHAPE[1:]).astype("float32"))
    return w, lambda images, labels: tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None] + 0.2


def _relu_network(seed):
    init = {"kernel_initializer": keras.initializers.HeNormal(seed)}
    bias = {"bias_initializer": keras.initializers.RandomNormal(stddev=0.5, seed=seed)}
    model = keras.Sequential(
        [
            keras.Input(SHAPE[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu", **init, **bias),
            keras.layers.Dense(16, activation="relu", **init, **bias),
            keras.layers.Dense(1, **init, **bias),
        ]
    )
    return lambda images, labels: model(images)


def _images():
    return np.random.uniform(-1, 1, SHAPE).astype("float32")


def _output_and_input_gradient(d_fn, images):
    images = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        output = d_fn(images, None)
    gradient = tape.gradient(output, images).numpy().reshape(len(images), -1)
    return output.numpy()[:, 0], gradient


def test_gn_and_pgn_values_on_linear_d():
    w, d_fn = _linear_d()
    images = _images()
    f = np.sum(images * w.numpy(), axis=(1, 2, 3)) + 0.2
    norm_w = np.linalg.norm(w.numpy())
    np.testing.assert_allclose(
        gradient_normalized(d_fn)(images, None)[:, 0], f / (norm_w + np.abs(f)), rtol=1e-5
    )
    norm_one_minus_w = np.linalg.norm(1.0 - w.numpy())
    np.testing.assert_allclose(
        penalty_gradient_normalized(d_fn)(images, None)[:, 0],
        (1.0 - f) / (norm_one_minus_w + np.abs(1.0 - f)),
        rtol=1e-5,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gn_bounds_on_relu_networks(seed):
    d_fn = _relu_network(seed)
    images = 3.0 * _images()
    f, g = _output_and_input_gradient(d_fn, images)
    f_hat, g_hat = _output_and_input_gradient(gradient_normalized(d_fn), images)
    assert np.all(np.abs(f_hat) < 1.0)
    norms = np.linalg.norm(g_hat, axis=1)
    assert np.all(norms <= 1.0 + 1e-5)
    # Piecewise-linear f: grad f_hat = g ||g|| / (||g|| + |f|)^2 exactly (Wu et al.'s proof).
    g_norm = np.linalg.norm(g, axis=1)
    expected = g * (g_norm / (g_norm + np.abs(f)) ** 2)[:, None]
    np.testing.assert_allclose(g_hat, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pgn_bounds_on_relu_networks(seed):
    d_fn = _relu_network(seed)
    images = 3.0 * _images()
    f, g = _output_and_input_gradient(d_fn, images)
    f_hat, g_hat = _output_and_input_gradient(penalty_gradient_normalized(d_fn), images)
    assert np.all(np.abs(f_hat) < 1.0)
    # Piecewise-linear f: grad f_hat = -g c / (c + |1 - f|)^2 with c = ||1 - g||, hence
    # ||grad f_hat|| <= ||g|| / ||1 - g|| (the PGN docstring's derivation).
    c = np.linalg.norm(1.0 - g, axis=1)
    expected = -g * (c / (c + np.abs(1.0 - f)) ** 2)[:, None]
    np.testing.assert_allclose(g_hat, expected, rtol=1e-4, atol=1e-6)
    bound = np.linalg.norm(g, axis=1) / c
    assert np.all(np.linalg.norm(g_hat, axis=1) <= bound * (1 + 1e-5))


@pytest.mark.parametrize("wrap", [gradient_normalized, penalty_gradient_normalized])
def test_normalized_linear_d_is_differentiable_through_its_gradient_norm(wrap):
    # The weight gradient depends on ||w|| (GN) or ||1 - w|| (PGN) only through double backprop.
    w, d_fn = _linear_d()
    images = _images()[:8]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(wrap(d_fn)(images, None))
    gradient = tape.gradient(loss, w).numpy()

    def loss_numpy(weights):
        f = np.sum(images * weights, axis=(1, 2, 3)) + 0.2
        if wrap is gradient_normalized:
            return np.mean(f / (np.linalg.norm(weights) + np.abs(f)))
        return np.mean((1 - f) / (np.linalg.norm(1.0 - weights) + np.abs(1 - f)))

    w0 = w.numpy().astype(np.float64)
    for index in [(0, 0, 0), (1, 2, 1), (2, 1, 0)]:
        step = np.zeros_like(w0)
        step[index] = 1e-6
        numeric = (loss_numpy(w0 + step) - loss_numpy(w0 - step)) / 2e-6
        np.testing.assert_allclose(gradient[index], numeric, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("wrap", [gradient_normalized, penalty_gradient_normalized])
def test_wrapped_relu_d_trains(wrap):
    model = keras.Sequential(
        [keras.Input(SHAPE[1:]), keras.layers.Flatten(), keras.layers.Dense(8, "relu")]
        + [keras.layers.Dense(1)]
    )
    d_fn = wrap(lambda images, labels: model(images))
    real, fake = _images()[:16], _images()[16:32] + 0.5
    optimizer = keras.optimizers.SGD(0.5)
    losses = []
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = hinge(d_fn(real, None), d_fn(fake, None)).d_loss
        gradients = tape.gradient(loss, model.trainable_variables)
        assert all(np.all(np.isfinite(g)) for g in gradients)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        losses.append(float(loss))
    assert losses[-1] < losses[0]
