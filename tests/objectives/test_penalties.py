"""Gradient penalties against hand-derived values (linear, quadratic D) and finite differences."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import dragan, l2, r1, r2, wgan_gp

SHAPE = (4, 3, 3, 2)


def _linear_d(scale=0.5):
    """d(x) = sum(w * x) + b per sample: its input gradient is w everywhere."""
    w = tf.Variable(scale * np.random.randn(*SHAPE[1:]).astype("float32"))
    return w, lambda images, labels: tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None] + 0.3


def _images(seed_shift=0.0):
    return (np.random.uniform(-1, 1, SHAPE) + seed_shift).astype("float32")


def _value_and_gradient(fn, variable):
    with tf.GradientTape() as tape:
        value = fn()
    return float(value), tape.gradient(value, variable)


@pytest.mark.parametrize("name", ["wgan_gp", "dragan"])
def test_unit_slope_penalties_on_linear_d(name):
    w, d_fn = _linear_d()
    real, fake = _images(), _images()
    call = {
        "wgan_gp": lambda: wgan_gp(d_fn, real, fake, weight=3.0),
        "dragan": lambda: dragan(d_fn, real, weight=3.0),
    }[name]
    value, gradient = _value_and_gradient(call, w)
    w = w.numpy()
    slope = np.sqrt(1e-4 + np.sum(w**2))
    np.testing.assert_allclose(value, 3.0 * (slope - 1.0) ** 2, rtol=1e-5)
    # Double backprop: d/dw of 3 (slope - 1)^2 is 6 (slope - 1) w / slope.
    np.testing.assert_allclose(gradient, 6.0 * (slope - 1.0) * w / slope, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("penalty", [r1, r2])
def test_zero_centred_penalties_on_linear_d(penalty):
    w, d_fn = _linear_d()
    value, gradient = _value_and_gradient(lambda: penalty(d_fn, _images(), weight=4.0), w)
    w = w.numpy()
    np.testing.assert_allclose(value, 2.0 * np.sum(w**2), rtol=1e-5)  # gamma/2 ||w||^2
    np.testing.assert_allclose(gradient, 4.0 * w, rtol=1e-5)


def test_r1_passes_labels_to_a_conditional_d():
    table = np.random.randn(3, *SHAPE[1:]).astype("float32")
    labels = np.array([0, 2, 2, 1])

    def d_fn(images, y):
        return tf.reduce_sum(images * tf.gather(table, y), axis=[1, 2, 3])[:, None]

    expected = 0.5 * 10.0 * np.mean(np.sum(table[labels] ** 2, axis=(1, 2, 3)))
    np.testing.assert_allclose(r1(d_fn, _images(), labels), expected, rtol=1e-5)


def _quadratic_d(images, labels):
    """d(x) = ||x||^2 / 2 per sample: its input gradient is x itself."""
    return 0.5 * tf.reduce_sum(tf.square(images), axis=[1, 2, 3])[:, None]


def test_wgan_gp_interpolates_with_one_alpha_per_sample():
    # Real 0, fake 3 (one pixel): x_hat = 3 alpha, so E[(|3 alpha| - 1)^2] = int_0^1 (3a - 1)^2 = 1.
    real = np.zeros([4000, 1, 1, 1], "float32")
    value = wgan_gp(_quadratic_d, real, real + 3.0, weight=1.0)
    np.testing.assert_allclose(value, 1.0, atol=0.08)


def test_dragan_uses_one_sided_noise_and_interpolation():
    # x in {-1, 1} has std 1; x_hat = x + 0.5 alpha u, so (|x_hat| - 1)^2 = (alpha u / 2)^2 with
    # mean 1/4 * 1/3 * 1/3 = 1/36. compare_gan's two-sided noise would give 1/12.
    real = np.where(np.arange(4000) % 2 == 0, 1.0, -1.0).astype("float32").reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(dragan(_quadratic_d, real, weight=1.0), 1.0 / 36.0, atol=0.003)


def test_r1_on_nonlinear_d_matches_finite_differences():
    a = tf.Variable(np.random.randn(5, 18).astype("float64"))
    v = np.random.randn(5)
    images = np.random.uniform(-1, 1, SHAPE)

    def d_numpy(x, a):
        return np.tanh(x.reshape(len(x), -1) @ a.T + 0.1) @ v

    def d_fn(x, labels):
        flat = tf.reshape(tf.cast(x, tf.float64), [SHAPE[0], -1])
        return tf.cast(tf.tanh(flat @ tf.transpose(a) + 0.1) @ v[:, None], tf.float32)

    def r1_numpy(a, h=1e-6):
        gradient = np.zeros(SHAPE)
        for index in np.ndindex(*SHAPE[1:]):
            step = np.zeros(SHAPE)
            step[(slice(None), *index)] = h
            gradient[(slice(None), *index)] = (
                d_numpy(images + step, a) - d_numpy(images - step, a)
            ) / (2 * h)
        return 0.5 * 10.0 * np.mean(np.sum(gradient**2, axis=(1, 2, 3)))

    value, gradient = _value_and_gradient(lambda: r1(d_fn, images), a)
    a0 = a.numpy()
    np.testing.assert_allclose(value, r1_numpy(a0), rtol=1e-4)
    # Double backprop: d r1 / d a against central differences on a few entries of a.
    for index in [(0, 0), (2, 7), (4, 17)]:
        step = np.zeros_like(a0)
        step[index] = 1e-4
        numeric = (r1_numpy(a0 + step) - r1_numpy(a0 - step)) / 2e-4
        np.testing.assert_allclose(gradient.numpy()[index], numeric, rtol=1e-3, atol=1e-5)


def test_l2_is_mean_over_kernels_of_half_squared_norm():
    kernels = [np.random.randn(3, 3, 2, 4), np.random.randn(8, 1)]
    variables = [tf.Variable(k.astype("float32")) for k in kernels] + [tf.Variable(np.ones(4))]
    expected = 2.0 * (np.sum(kernels[0] ** 2) / 2 + np.sum(kernels[1] ** 2) / 2) / 2
    np.testing.assert_allclose(l2(variables, weight=2.0), expected, rtol=1e-5)


def test_l2_without_kernels_says_what_to_pass():
    with pytest.raises(ValueError, match="trainable_variables"):
        l2([tf.Variable(np.ones(3))])


def test_constant_d_is_reported():
    with pytest.raises(ValueError, match="do not depend on its images"):
        r1(lambda images, labels: tf.ones([SHAPE[0], 1]), _images())


def test_wgan_gp_rejects_mismatched_batches():
    _, d_fn = _linear_d()
    with pytest.raises(ValueError, match="same shape"):
        wgan_gp(d_fn, _images(), _images()[:2])
