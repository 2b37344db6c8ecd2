"""The compare_gan-exact options of the objective against numpy written from compare_gan's
formulas (loss_lib.least_squares, penalty_lib.dragan_penalty) on fixed inputs."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import (
    GANObjective,
    dragan,
    least_squares,
    least_squares_on_sigmoid,
)
from compare_gan_tf.objectives.seeds import Draws

REAL = np.array([[-2.0], [-0.5], [0.0], [0.7], [3.0]], dtype=np.float32)
FAKE = np.array([[-1.5], [0.2], [1.0], [2.5], [-3.0]], dtype=np.float32)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def _compare_gan_least_squares(d_real, d_fake):
    """compare_gan loss_lib.least_squares on predictions in [0, 1]: its four returns."""
    d_loss_real = np.mean(np.square(d_real - 1.0))
    d_loss_fake = np.mean(np.square(d_fake))
    d_loss = 0.5 * (d_loss_real + d_loss_fake)
    g_loss = 0.5 * np.mean(np.square(d_fake - 1.0))
    return d_loss, d_loss_real, d_loss_fake, g_loss


def test_least_squares_on_sigmoid_is_compare_gans_formula():
    d_loss, d_loss_real, d_loss_fake, g_loss = _compare_gan_least_squares(
        _sigmoid(REAL), _sigmoid(FAKE)
    )
    result = least_squares_on_sigmoid(REAL, FAKE)
    np.testing.assert_allclose(result.d_loss, d_loss, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(result.g_loss, g_loss, rtol=1e-6, atol=1e-7)
    # Each part carries its 0.5 here, so the parts add up to d_loss.
    np.testing.assert_allclose(result.d_loss_real, 0.5 * d_loss_real, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(result.d_loss_fake, 0.5 * d_loss_fake, rtol=1e-6, atol=1e-7)
    generator_side = least_squares_on_sigmoid(None, FAKE)
    assert generator_side.d_loss is None
    np.testing.assert_allclose(generator_side.g_loss, g_loss, rtol=1e-6, atol=1e-7)


def test_least_squares_on_binding_picks_the_loss():
    gin.clear_config()
    try:
        assert GANObjective(loss="least_squares").loss_fn is least_squares
        gin.parse_config(
            'GANObjective.loss = "least_squares"\nGANObjective.least_squares_on = "sigmoid"'
        )
        objective = GANObjective()
    finally:
        gin.clear_config()
    assert objective.loss_fn is least_squares_on_sigmoid
    # The D loss of the objective: real and fake logits of a linear D through compare_gan's form.
    w = np.array([0.3, -0.2, 0.5, 0.1], np.float32)
    real = np.random.uniform(-1, 1, [6, 4]).astype(np.float32)
    fake = np.random.uniform(-1, 1, [6, 4]).astype(np.float32)

    def d_fn(images, labels):
        return tf.reduce_sum(images * w, axis=1, keepdims=True)

    loss, _ = objective.discriminator_loss(d_fn, lambda z, labels: z, real, None, fake)
    expected = _compare_gan_least_squares(_sigmoid(real @ w), _sigmoid(fake @ w))[0]
    np.testing.assert_allclose(loss, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"loss": "least_squares", "least_squares_on": "probabilities"},
            "Unknown GANObjective.least_squares_on 'probabilities'; use one of: logits, sigmoid.",
        ),
        (
            {"loss": "hinge", "least_squares_on": "sigmoid"},
            "GANObjective.least_squares_on = 'sigmoid' applies to the least-squares loss only",
        ),
    ],
)
def test_bad_least_squares_on_is_a_config_error(settings, message):
    with pytest.raises(ConfigError) as error:
        GANObjective(**settings)
    assert message in str(error.value)


def _tanh_d(a):
    """d(x) = sum(tanh(a x)) per sample, whose input gradient a (1 - tanh(a x)^2) varies."""
    return lambda images, labels: tf.reduce_sum(tf.tanh(a * images), axis=[1, 2, 3])[:, None]


def _compare_gan_dragan(x, uniform, a):
    """compare_gan penalty_lib.dragan_penalty on the tanh D, in float64, with its U[0, 1) noise
    given; the clip is to [-1, 1], the model's image range (compare_gan's [0, 1])."""
    x = x.astype(np.float64)
    std = np.sqrt(np.mean(np.square(x - np.mean(x))))  # tf.nn.moments over every axis
    x_noisy = np.clip(x + std * (uniform - 0.5), -1.0, 1.0)
    gradients = a * (1.0 - np.tanh(a * x_noisy) ** 2)
    slopes = np.sqrt(0.0001 + np.sum(np.square(gradients), axis=(1, 2, 3)))
    return np.mean(np.square(slopes - 1.0))


def test_two_sided_clipped_dragan_is_compare_gans_formula():
    # Near the ends of [-1, 1] the noise is clipped, which changes the tanh D's gradient.
    real = np.random.uniform(-1, 1, [6, 3, 3, 2]).astype(np.float32)
    real[0] = 0.98
    seed = 17
    uniform = Draws(seed).uniform(real.shape).numpy().astype(np.float64)
    value = dragan(_tanh_d(0.8), real, weight=3.0, seed=seed, noise="two_sided_clipped")
    np.testing.assert_allclose(
        value, 3.0 * _compare_gan_dragan(real, uniform, 0.8), rtol=1e-6, atol=1e-7
    )


def test_dragan_noise_binding_reaches_the_penalty():
    # x in {-1, 1} has std 1 and a one-pixel quadratic D has slope |x~|: the clipped two-sided
    # points x~ = clip(x + u - 0.5, -1, 1) give E[(|x~| - 1)^2] = int_0^0.5 v^2 dv = 1/24;
    # the authors' one-sided, interpolated points give 1/36.
    real = np.where(np.arange(4000) % 2 == 0, 1.0, -1.0).astype("float32").reshape(-1, 1, 1, 1)

    def d_fn(images, labels):
        return 0.5 * tf.reduce_sum(tf.square(images), axis=[1, 2, 3])[:, None]

    def penalty(**settings):
        objective = GANObjective(
            loss="wasserstein", penalty="dragan", penalty_weight=1.0, **settings
        )
        _, parts = objective.discriminator_loss(d_fn, lambda z, labels: z, real, None, real)
        return float(parts["penalty"])

    gin.clear_config()
    try:
        gin.bind_parameter("GANObjective.dragan_noise", "two_sided_clipped")
        np.testing.assert_allclose(penalty(), 1.0 / 24.0, atol=0.003)
    finally:
        gin.clear_config()
    np.testing.assert_allclose(penalty(), 1.0 / 36.0, atol=0.003)


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"penalty": "dragan", "dragan_noise": "uniform"},
            "Unknown GANObjective.dragan_noise 'uniform'; use one of: one_sided, "
            "two_sided_clipped.",
        ),
        (
            {"penalty": "wgan_gp", "dragan_noise": "two_sided_clipped"},
            "GANObjective.dragan_noise = 'two_sided_clipped' applies to the DRAGAN penalty only",
        ),
    ],
)
def test_bad_dragan_noise_is_a_config_error(settings, message):
    with pytest.raises(ConfigError) as error:
        GANObjective(**settings)
    assert message in str(error.value)
