"""MINE: the DV value and its corrected gradient in closed form, and a short estimation run."""

import keras
import numpy as np
import tensorflow as tf

from compare_gan_tf.objectives import MutualInformationEstimator, donsker_varadhan


def test_dv_value_and_bias_corrected_gradient():
    joint = tf.Variable(np.random.randn(6, 1).astype("float32"))
    marginal = tf.Variable(np.random.randn(6, 1).astype("float32"))
    with tf.GradientTape() as tape:
        estimate = donsker_varadhan(joint, marginal, marginal_average=2.5)
    grad_joint, grad_marginal = tape.gradient(estimate, [joint, marginal])
    m = marginal.numpy()
    np.testing.assert_allclose(estimate, np.mean(joint) - np.log(np.mean(np.exp(m))), rtol=1e-5)
    np.testing.assert_allclose(grad_joint, np.full([6, 1], 1 / 6), rtol=1e-6)
    # The log-mean-exp gradient exp(t_i) / sum exp(t) becomes exp(t_i) / (B * average).
    np.testing.assert_allclose(grad_marginal, -np.exp(m) / (6 * 2.5), rtol=1e-5)


def test_moving_average_update():
    estimator = MutualInformationEstimator(hidden_units=8, moving_average_rate=0.1)
    images = np.random.randn(5, 3).astype("float32")
    z = np.tile(np.random.randn(1, 2).astype("float32"), [5, 1])  # shuffling z changes nothing
    scores = estimator((images, z)).numpy()
    estimator.mutual_information(images, z, update_average=True)
    expected = 0.9 * 1.0 + 0.1 * np.mean(np.exp(scores))
    np.testing.assert_allclose(estimator.marginal_average.numpy(), expected, rtol=1e-5)
    estimator.mutual_information(images, z)
    np.testing.assert_allclose(estimator.marginal_average.numpy(), expected, rtol=1e-5)


def _estimate_after_training(dependent, steps=300, batch=256):
    """Trains T on x = z + n (I = 2 * ln(2) / 2 for 2-D unit Gaussians) or on independent x, z."""
    estimator = MutualInformationEstimator(hidden_units=32)
    optimizer = keras.optimizers.Adam(3e-3)

    def sample(size):
        z = tf.random.normal([size, 2])
        x = tf.random.normal([size, 2])
        return (z + x if dependent else x), z

    @tf.function
    def step():
        x, z = sample(batch)
        with tf.GradientTape() as tape:
            loss = -estimator.mutual_information(x, z, update_average=True)
        variables = estimator.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    for _ in range(steps):
        step()
    return float(estimator.mutual_information(*sample(8000)))


def test_estimate_approaches_known_mutual_information():
    assert 0.45 < _estimate_after_training(dependent=True) < np.log(2.0) + 0.1
    assert abs(_estimate_after_training(dependent=False)) < 0.05
