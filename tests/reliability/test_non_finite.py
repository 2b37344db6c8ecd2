"""A non-finite loss: stop naming the step and the terms, or roll back and lower the rates."""

import logging

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.training import checkpoints, loop
from compare_gan_tf.training.experiment import Experiment

ADAM_DEFAULT_RATE = 2e-4


def _diverging_above(experiment, rate, from_step=2):
    """Makes the run diverge while the D rate exceeds `rate`: from `from_step` on, a NaN is
    written into D's first kernel before each loop, so its loss is NaN for real."""
    gan = experiment.gan
    train_steps = gan.train

    def train(iterator, steps):
        if gan.step.numpy() >= from_step and float(gan.d_optimizer.learning_rate) > rate:
            kernel = gan.discriminator.weights[0]
            kernel.assign(tf.fill(kernel.shape, float("nan")))
        return train_steps(iterator, steps)

    gan.train = train
    return experiment


def _rates(gan):
    return [float(optimizer.learning_rate) for optimizer in (gan.g_optimizer, gan.d_optimizer)]


def test_rollback_restores_the_last_checkpoint_halves_the_rates_and_finishes(
    quiet_tiny_config, tmp_path, caplog
):
    experiment = _diverging_above(Experiment(), rate=1.5e-4)
    with caplog.at_level(logging.WARNING):
        loop.train(str(tmp_path), training_steps=5, on_non_finite="rollback", experiment=experiment)
    gan = experiment.gan
    assert int(gan.step.numpy()) == 5
    assert "Non-finite d_loss" in caplog.text and "at step 3: rolled back to step 2" in caplog.text
    np.testing.assert_allclose(_rates(gan), [ADAM_DEFAULT_RATE / 2] * 2, rtol=1e-6)
    assert all(np.isfinite(w.numpy()).all() for w in gan.discriminator.weights)
    # The lowered rates are saved, so a resumed run keeps them.
    fresh = Experiment()
    checkpoints.restore(checkpoints.checkpoint_manager(fresh.gan, str(tmp_path)), str(tmp_path))
    assert int(fresh.gan.step.numpy()) == 5
    np.testing.assert_allclose(_rates(fresh.gan), [ADAM_DEFAULT_RATE / 2] * 2, rtol=1e-6)


def test_rollback_gives_up_after_max_rollbacks(quiet_tiny_config, tmp_path):
    experiment = _diverging_above(Experiment(), rate=0.0)
    diverged = r"Non-finite d_loss.* at step 3 after 2 rollbacks"
    with pytest.raises(FloatingPointError, match=diverged):
        loop.train(
            str(tmp_path),
            training_steps=5,
            on_non_finite="rollback",
            rollback_lr_factor=0.1,
            max_rollbacks=2,
            experiment=experiment,
        )
    np.testing.assert_allclose(_rates(experiment.gan), [ADAM_DEFAULT_RATE / 100] * 2, rtol=1e-5)
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")


def test_stop_names_the_step_and_the_terms_and_keeps_the_checkpoint(quiet_tiny_config, tmp_path):
    experiment = _diverging_above(Experiment(), rate=0.0)
    with pytest.raises(FloatingPointError) as raised:
        loop.train(str(tmp_path), training_steps=5, experiment=experiment)
    message = str(raised.value)
    assert message.startswith("Non-finite d_loss") and "at step 3;" in message
    assert f"the last good checkpoint, ckpt-2, is kept in {tmp_path}" in message
    assert "rollback" in message
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")


@pytest.mark.parametrize("on_non_finite", ["stop", "rollback"])
def test_a_non_finite_loss_before_any_checkpoint_says_there_is_none(
    quiet_tiny_config, tmp_path, on_non_finite
):
    experiment = _diverging_above(Experiment(), rate=0.0, from_step=0)
    with pytest.raises(FloatingPointError) as raised:
        loop.train(
            str(tmp_path), training_steps=5, on_non_finite=on_non_finite, experiment=experiment
        )
    message = str(raised.value)
    assert message.startswith("Non-finite d_loss") and "at step 1;" in message
    assert "no checkpoint was saved before it" in message and "last good" not in message
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


@pytest.mark.parametrize(
    "bindings, message",
    [
        ('train.on_non_finite = "retry"', "Unknown train.on_non_finite 'retry'"),
        (
            'train.on_non_finite = "rollback"\ntrain.rollback_lr_factor = 2.0',
            r"rollback_lr_factor must be in \(0, 1\)",
        ),
        (
            'train.on_non_finite = "rollback"\ngenerator/adam.decay_steps = 10',
            "needs constant learning rates, but the generator optimizer uses a schedule",
        ),
    ],
)
def test_bad_non_finite_settings_are_refused_before_training(
    quiet_tiny_config, tmp_path, bindings, message
):
    gin.parse_config(bindings)
    with pytest.raises(ValueError, match=message):
        loop.train(str(tmp_path), training_steps=1)
    assert not (tmp_path / "checkpoint").exists()
