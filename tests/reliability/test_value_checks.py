"""Values are checked where they enter: counts of the loop and the GAN, the batch against the
replicas; each mistake is a ConfigError (a UserError) naming the binding."""

import pytest

from compare_gan_tf.errors import ConfigError, UserError
from compare_gan_tf.training import loop
from compare_gan_tf.training.experiment import build_gan


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"keep_checkpoint_max": 0},
            "train.keep_checkpoint_max must be an integer of at least 1, got 0.",
        ),
        (
            {"keep_checkpoint_max": 2.5},
            "train.keep_checkpoint_max must be an integer of at least 1, got 2.5.",
        ),
        ({"max_rollbacks": -1}, "train.max_rollbacks must be an integer of at least 0, got -1."),
        (
            {"on_non_finite": "skip"},
            "Unknown train.on_non_finite 'skip'; use one of stop, rollback.",
        ),
        (
            {"on_non_finite": "rollback", "rollback_lr_factor": 2.0},
            "train.rollback_lr_factor must be in (0, 1) to lower the rates; got 2.0.",
        ),
    ],
)
def test_loop_settings(settings, message):
    with pytest.raises(ConfigError) as raised:
        loop.TrainSettings(**settings)
    # gin adds the configurable's name on a second line.
    assert str(raised.value).splitlines()[0] == message
    assert isinstance(raised.value, UserError)


def test_a_batch_that_the_replicas_cannot_share(mirrored_strategy):
    with pytest.raises(ConfigError) as raised:
        build_gan("dcgan", 32, batch_size=30, z_dim=8, strategy=mirrored_strategy)
    assert str(raised.value).splitlines()[0] == (
        "Experiment.batch_size = 30 (the global batch) must be a multiple of the 4 replicas, "
        "each of which takes an equal share; use 28 or 32."
    )


def test_a_batch_below_the_replicas(mirrored_strategy):
    with pytest.raises(
        ConfigError, match=r"of the 4 replicas, each of which takes an equal share; use 4\.$"
    ):
        build_gan("dcgan", 32, batch_size=3, z_dim=8, strategy=mirrored_strategy)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"disc_iters": 0},
            "GAN.disc_iters must be an integer number of D updates per G update (at least 1); "
            "got 0.",
        ),
        ({"ema_decay": 1.0}, "GAN.ema_decay must be in [0, 1); got 1.0."),
        ({"ema_start_step": -3}, "GAN.ema_start_step must be a step >= 0; got -3."),
    ],
)
def test_gan_counts(options, message):
    # GAN reads no gin: its settings reach it as build_gan's keywords (gin's GAN.* is
    # the Experiment's GANSettings).
    with pytest.raises(ConfigError) as raised:
        build_gan("dcgan", 32, batch_size=8, z_dim=8, **options)
    assert str(raised.value).splitlines()[0] == message
