"""GANObjective with R3GAN's parts: a relativistic G loss reads D's logits of the real batch it
is given, and penalty "r1_r2" is R1 on the reals plus R2 on the fakes, each with its gamma."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective, r1, r2
from compare_gan_tf.training.experiment import build_gan

BATCH, Z_DIM = 4, 3
W = np.linspace(-0.5, 0.5, 2 * 2 * 1).astype("float32").reshape(2, 2, 1)
G_KERNEL = np.linspace(-1.0, 1.0, Z_DIM * 4).astype("float32").reshape(Z_DIM, 4)


def d_fn(images, labels):
    """A linear D with a squared term, so that its input gradient depends on the input."""
    flat = tf.reshape(images, [tf.shape(images)[0], -1])
    linear = tf.reduce_sum(images * W, axis=[1, 2, 3])
    return (linear + 0.1 * tf.reduce_sum(flat**2, axis=1))[:, None]


def g_fn(z, labels):
    return tf.reshape(tf.tanh(tf.matmul(z, G_KERNEL)), [-1, 2, 2, 1])


def _numpy_d(images):
    flat = images.reshape(len(images), -1)
    return (np.sum(images * W, axis=(1, 2, 3)) + 0.1 * np.sum(flat**2, axis=1))[:, None]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    real = rng.uniform(-1, 1, (BATCH, 2, 2, 1)).astype("float32")
    z = rng.standard_normal((BATCH, Z_DIM)).astype("float32")
    return real, z


def test_pairing_generator_loss_is_the_closed_form_on_the_real_batch_given():
    real, z = _inputs()
    objective = GANObjective(loss="relativistic_pairing")
    loss, parts = objective.generator_loss(d_fn, g_fn, z, None, real=(real, None))
    fake = np.tanh(z @ G_KERNEL).reshape(-1, 2, 2, 1)
    margin = _numpy_d(fake) - _numpy_d(real)
    # Huang et al. 2024 (R3GAN): L_G = E softplus(-(D(x_f) - D(x_r))) = E -log sigmoid(margin).
    expected = np.mean(np.log1p(np.exp(-margin)))
    np.testing.assert_allclose(float(parts["g_loss_fake"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    other, _ = objective.generator_loss(d_fn, g_fn, z, None, real=(real + 0.5, None))
    assert abs(float(other) - float(loss)) > 1e-3


def test_relativistic_generator_loss_without_a_real_batch_says_what_to_pass():
    _, z = _inputs()
    with pytest.raises(ValueError, match=r"pass real=\(images, labels\)"):
        GANObjective(loss="relativistic_average").generator_loss(d_fn, g_fn, z, None)


def test_a_loss_of_the_fakes_alone_ignores_the_real_batch():
    real, z = _inputs()
    objective = GANObjective(loss="non_saturating")
    with_real, _ = objective.generator_loss(d_fn, g_fn, z, None, real=(real, None))
    without, _ = objective.generator_loss(d_fn, g_fn, z, None)
    assert float(with_real) == float(without)


def test_r1_r2_is_r1_plus_r2_with_their_own_gammas():
    real, z = _inputs()
    objective = GANObjective(penalty="r1_r2", penalty_weight=2.0, r2_weight=5.0)
    _, parts = objective.discriminator_loss(d_fn, g_fn, real, None, z)
    fake = g_fn(z, None)
    expected = r1(d_fn, real, weight=2.0) + r2(d_fn, fake, weight=5.0)
    np.testing.assert_allclose(float(parts["penalty"]), float(expected), rtol=1e-5)
    _, same_parts = GANObjective(penalty="r1_r2", penalty_weight=2.0).discriminator_loss(
        d_fn, g_fn, real, None, z
    )
    both_two = r1(d_fn, real, weight=2.0) + r2(d_fn, fake, weight=2.0)
    np.testing.assert_allclose(float(same_parts["penalty"]), float(both_two), rtol=1e-5)


def test_r2_weight_without_r1_r2_is_refused_naming_the_binding():
    with pytest.raises(
        ConfigError, match=r'GANObjective.r2_weight = 5.0 .*GANObjective.penalty = "r1_r2"'
    ):
        GANObjective(penalty="r1", r2_weight=5.0)


@pytest.mark.parametrize("strategy_kind", ["one_device", "mirrored"])
def test_an_r3gan_step_trains_on_one_and_four_devices(eagerly, mirrored_strategy, strategy_kind):
    strategy = mirrored_strategy if strategy_kind == "mirrored" else tf.distribute.get_strategy()
    with strategy.scope():
        gan = build_gan(
            "dcgan",
            32,
            channels=1,
            batch_size=8,
            z_dim=8,
            strategy=strategy,
            objective=GANObjective(loss="relativistic_pairing", penalty="r1_r2"),
            generator_options={"ch": 4},
            discriminator_options={"ch": 4, "normalization": "spectral"},
        )
    images = np.random.uniform(-1, 1, (8, 32, 32, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensors((images, np.zeros(8, "int32"))).repeat()
    metrics = gan.train(iter(strategy.experimental_distribute_dataset(dataset)), 1)
    assert all(np.isfinite(float(value)) for value in metrics.values())
    assert float(metrics["penalty"]) > 0 and float(metrics["d_loss_fake"]) == 0.0
