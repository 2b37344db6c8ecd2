"""Lazy R1: k x R1 every k-th step, exactly 0 otherwise, eager and compiled."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import lazy, lazy_r1, r1

SHAPE = (4, 3, 3, 2)


def _quadratic_d():
    """d(x) = sum(w x^2) per sample: a non-constant input gradient 2 w x."""
    w = tf.Variable(np.random.uniform(0.5, 1.5, SHAPE[1:]).astype("float32"))
    return w, lambda images, labels: tf.reduce_sum(w * images**2, axis=[1, 2, 3])[:, None]


def test_average_over_an_interval_equals_r1_and_skipped_steps_are_zero():
    _, d_fn = _quadratic_d()
    images = np.random.uniform(-1, 1, SHAPE).astype("float32")
    expected = float(r1(d_fn, images, weight=3.0))
    values = [float(lazy_r1(d_fn, images, step=s, weight=3.0, interval=16)) for s in range(16)]
    assert values[0] == 16.0 * expected
    assert values[1:] == [0.0] * 15
    np.testing.assert_allclose(np.mean(values), expected, rtol=1e-6)
    # Any window of k consecutive steps holds exactly one due step.
    window = [float(lazy_r1(d_fn, images, step=s, weight=3.0, interval=3)) for s in (5, 6, 7)]
    assert window[0] == window[2] == 0.0
    np.testing.assert_allclose(np.mean(window), expected, rtol=1e-6)


def test_compiled_with_a_step_variable_and_differentiable():
    w, d_fn = _quadratic_d()
    images = np.random.uniform(-1, 1, SHAPE).astype("float32")
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def penalty_and_gradient():
        with tf.GradientTape() as tape:
            value = lazy_r1(d_fn, images, step=step, interval=4)
        gradient = tape.gradient(value, w, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        step.assign_add(1)
        return value, gradient

    with tf.GradientTape() as tape:
        plain = r1(d_fn, images)
    plain_gradient = tape.gradient(plain, w)
    results = [penalty_and_gradient() for _ in range(8)]
    for index, (value, gradient) in enumerate(results):
        if index % 4 == 0:
            np.testing.assert_allclose(value, 4.0 * plain, rtol=1e-6)
            np.testing.assert_allclose(gradient, 4.0 * plain_gradient, rtol=1e-5)
        else:
            assert value.numpy() == 0.0
            assert not np.any(gradient.numpy())


def test_lazy_takes_any_penalty_and_checks_the_interval():
    assert float(lazy(lambda: tf.constant(2.5), step=10, interval=5)) == 12.5
    assert float(lazy(lambda: tf.constant(2.5), step=3, interval=1)) == 2.5
    for interval in (0, 2.0, True):
        with pytest.raises(ValueError, match="positive int"):
            lazy(lambda: tf.constant(1.0), step=0, interval=interval)
