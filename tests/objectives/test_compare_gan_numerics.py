"""The compare_gan-exact options of the objective against numpy written from compare_gan's
formulas (loss_lib.least_squares, penalty_lib.dragan_penalty) on fixed inputs."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective, least_squares, least_squares_on_sigmoid

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
