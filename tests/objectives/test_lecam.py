"""LeCam regularization against its closed form, the EMA recursion and under replicas."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import LeCamRegularizer

REAL = np.array([[0.5], [-1.0], [2.0], [0.1]], "float32")
FAKE = np.array([[-0.3], [0.8], [-2.0]], "float32")


def _relu(x):
    return np.maximum(x, 0.0)


@pytest.mark.parametrize("one_sided", [True, False])
def test_penalty_matches_the_closed_form(one_sided):
    lecam = LeCamRegularizer(weight=0.3, one_sided=one_sided)
    lecam.real_anchor.assign(0.4)
    lecam.fake_anchor.assign(-0.2)
    real_gap, fake_gap = REAL - (-0.2), 0.4 - FAKE
    if one_sided:
        real_gap, fake_gap = _relu(real_gap), _relu(fake_gap)
    expected = 0.3 * (np.mean(real_gap**2) + np.mean(fake_gap**2))
    np.testing.assert_allclose(lecam.penalty(REAL, FAKE), expected, rtol=1e-6)
    if one_sided:
        # Only the logits beyond the other side's anchor are pulled: 0.5, 2.0, 0.1 (real) and
        # -0.3, -2.0 (fake) here.
        np.testing.assert_allclose(
            expected, 0.3 * ((0.7**2 + 2.2**2 + 0.3**2) / 4 + (0.7**2 + 2.4**2) / 3), rtol=1e-6
        )


def test_gradient_reaches_the_logits_and_not_the_anchors():
    lecam = LeCamRegularizer(weight=2.0)
    lecam.real_anchor.assign(0.4)
    lecam.fake_anchor.assign(-0.2)
    real, fake = tf.constant(REAL), tf.constant(FAKE)
    with tf.GradientTape() as tape:
        tape.watch([real, fake])
        value = lecam.penalty(real, fake)
    grad_real, grad_fake = tape.gradient(value, [real, fake])
    np.testing.assert_allclose(grad_real, 2.0 * 2.0 * _relu(REAL + 0.2) / 4, rtol=1e-6)
    np.testing.assert_allclose(grad_fake, -2.0 * 2.0 * _relu(0.4 - FAKE) / 3, rtol=1e-6)
    assert not lecam.trainable_variables


@pytest.mark.parametrize("zero_debias", [True, False])
def test_anchors_follow_the_ema_formula(zero_debias):
    decay = 0.9
    lecam = LeCamRegularizer(decay=decay, zero_debias=zero_debias)
    rng = np.random.default_rng(0)
    biased_real = biased_fake = 0.0
    for t in range(1, 8):
        real, fake = rng.normal(1.0, 1.0, [6, 1]), rng.normal(-1.0, 1.0, [5, 1])
        lecam.update(real.astype("float32"), fake.astype("float32"))
        # m_t = decay m_{t-1} + (1 - decay) mean_t; the debiased anchor is m_t / (1 - decay^t).
        biased_real = decay * biased_real + (1 - decay) * real.mean()
        biased_fake = decay * biased_fake + (1 - decay) * fake.mean()
        correction = 1 - decay**t if zero_debias else 1.0
        np.testing.assert_allclose(lecam.real_anchor.numpy(), biased_real / correction, rtol=1e-5)
        np.testing.assert_allclose(lecam.fake_anchor.numpy(), biased_fake / correction, rtol=1e-5)
        if zero_debias and t == 1:
            np.testing.assert_allclose(lecam.real_anchor.numpy(), real.mean(), rtol=1e-6)
    assert lecam.updates.numpy() == 7


def test_call_updates_the_anchors_before_the_penalty_and_compiles():
    lecam = LeCamRegularizer(weight=1.0, decay=0.99)
    value = tf.function(lecam)(REAL, FAKE)
    # First update (debiased): the anchors are this batch's means.
    alpha_real, alpha_fake = REAL.mean(), FAKE.mean()
    np.testing.assert_allclose(lecam.real_anchor.numpy(), alpha_real, rtol=1e-6)
    expected = np.mean(_relu(REAL - alpha_fake) ** 2) + np.mean(_relu(alpha_real - FAKE) ** 2)
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_defaults_are_the_reference_values():
    lecam = LeCamRegularizer()
    assert (lecam.weight, lecam.decay, lecam.one_sided, lecam.zero_debias) == (
        0.3,
        0.99,
        True,
        True,
    )
    with pytest.raises(ValueError, match="decay must be in"):
        LeCamRegularizer(decay=1.0)


def test_replicas_share_anchors_from_the_global_means(mirrored_strategy):
    strategy = mirrored_strategy
    replicas = strategy.num_replicas_in_sync
    with strategy.scope():
        lecam = LeCamRegularizer(weight=1.0)
    real = np.arange(2 * replicas, dtype="float32")[:, None]
    fake = -(np.arange(2 * replicas, dtype="float32")[:, None] ** 2)
    dataset = tf.data.Dataset.from_tensor_slices((real, fake)).batch(2 * replicas)
    batch = next(iter(strategy.experimental_distribute_dataset(dataset)))

    @tf.function
    def step(batch):
        return strategy.run(lambda r, f: lecam(r, f), args=batch)

    step(batch)
    for value in strategy.experimental_local_results(lecam.real_anchor):
        np.testing.assert_allclose(value.numpy(), real.mean(), rtol=1e-6)
    for value in strategy.experimental_local_results(lecam.fake_anchor):
        np.testing.assert_allclose(value.numpy(), fake.mean(), rtol=1e-6)
