"""DiffAugment, ADA, LeCam, lazy penalties, PacGAN and mode seeking inside the compiled training
step, on one device and under MirroredStrategy, composed with a loss, a penalty and a D
normalization."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.experiment import build_gan

BATCH = 8


def _gan(strategy, objective, num_classes=3, d_norm="spectral"):
    return build_gan(
        "dcgan",
        32,
        num_classes=num_classes,
        channels=1,
        batch_size=BATCH,
        z_dim=8,
        strategy=strategy,
        objective=objective,
        generator_options={"ch": 4},
        discriminator_options={"ch": 4, "normalization": d_norm},
    )


def _iterator(gan, num_classes=3):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (BATCH, 32, 32, 1)).astype("float32")
    labels = (np.arange(BATCH) % num_classes).astype("int32")
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    return iter(gan.strategy.experimental_distribute_dataset(dataset))


CASES = {
    "diffaugment_hinge_r1": dict(augment="diffaugment", loss="hinge", penalty="r1"),
    "ada_wgan_gp": dict(augment="ada", loss="wasserstein", penalty="wgan_gp"),
    "lecam_diffaugment": dict(augment="diffaugment", lecam_weight=0.3),
    "lazy_r1": dict(penalty="r1", penalty_interval=2),
    "bcr_ada": dict(augment="ada", consistency="bcr"),
    "mode_seeking_diffaugment": dict(augment="diffaugment", mode_seeking_weight=1.0),
}


@pytest.mark.parametrize(
    "case, replicas", [(case, 4) for case in sorted(CASES)] + [("ada_wgan_gp", 1)]
)
def test_the_compiled_step_trains_with_each_method(case, replicas, mirrored_strategy):
    strategy = mirrored_strategy if replicas == 4 else tf.distribute.get_strategy()
    gan = _gan(strategy, GANObjective(**CASES[case]))
    before = [w.numpy() for w in gan.discriminator.trainable_weights]
    metrics = gan.train(_iterator(gan), tf.constant(2))
    for name, value in metrics.items():
        assert np.isfinite(float(value)), name
    after = gan.discriminator.trainable_weights
    assert any(not np.array_equal(w.numpy(), b) for w, b in zip(after, before))
    if "lecam" in case:
        assert "lecam" in metrics
        lecam = gan.objective.lecam
        anchors = [float(v.numpy()) for v in (lecam.real_anchor, lecam.fake_anchor)]
        assert all(np.isfinite(anchors)) and any(a != 0.0 for a in anchors)
    if "mode_seeking" in case:
        assert float(metrics["mode_seeking"]) > 0.0
    if "ada" in case:
        assert 0.0 <= float(metrics["ada_p"]) <= 1.0
        assert "adaptive_augment" in gan.checkpoint_items()


def test_a_lazy_penalty_is_zero_between_due_steps():
    gan = _gan(tf.distribute.get_strategy(), GANObjective(penalty="r1", penalty_interval=2))
    iterator = _iterator(gan)
    penalties = [float(gan.train(iterator, tf.constant(1))["penalty"]) for _ in range(4)]
    # D steps 0 and 2 are due (2 x R1, positive); steps 1 and 3 add exactly nothing.
    assert penalties[1] == 0.0 and penalties[3] == 0.0
    assert penalties[0] > 0.0 and penalties[2] > 0.0


def test_ada_raises_p_when_d_is_confident_on_the_reals():
    """r_t = E[sign(D(real))] is 1 for a D that calls every real image real: p must rise by
    batch * interval / (ada_kimg * 1000) at each update."""
    gan = _gan(tf.distribute.get_strategy(), GANObjective(augment="ada"))
    ada = gan.objective.ada
    step = tf.Variable(0, dtype=tf.int64)

    def d_fn(images, labels):
        return tf.ones([tf.shape(images)[0], 1])  # every image called real

    def g_fn(z, labels):
        return tf.zeros([tf.shape(z)[0], 32, 32, 1])

    real = tf.zeros([BATCH, 32, 32, 1])
    z = tf.zeros([BATCH, 8])
    for index in range(2 * ada.interval):
        step.assign(index)
        gan.objective.discriminator_loss(d_fn, g_fn, real, None, z, step=step)
    assert float(ada.p) == pytest.approx(2 * ada.adjustment)


def test_pacgan_packs_what_d_sees_and_refuses_labels():
    gan = _gan(
        tf.distribute.get_strategy(), GANObjective(packing=2), num_classes=None, d_norm="none"
    )
    # D was built for two grayscale images stacked along the channels.
    assert gan.discriminator.get_build_config()["input_shape"][-1] == 2
    metrics = gan.train(_iterator(gan), tf.constant(1))
    assert np.isfinite(float(metrics["d_loss"]))
    with pytest.raises(ValueError, match="packing = 2 \\(PacGAN\\) needs an unconditional"):
        _gan(tf.distribute.get_strategy(), GANObjective(packing=2), num_classes=3)


def test_mode_seeking_needs_an_even_replica_batch():
    with pytest.raises(ValueError, match="per-replica batch \\(3\\), which must be even"):
        build_gan(
            "mlp",
            None,
            batch_size=3,
            objective=GANObjective(mode_seeking_weight=1.0),
            generator_options={"ch": 8},
            discriminator_options={"ch": 8},
        )


def test_pacgan_packs_2d_points():
    gan = build_gan(
        "mlp",
        None,
        batch_size=BATCH,
        objective=GANObjective(packing=2),
        generator_options={"ch": 8},
        discriminator_options={"ch": 8},
    )
    assert gan.discriminator.get_build_config()["input_shape"][-1] == 4  # two (x, y) points
    points = np.random.default_rng(0).normal(size=(BATCH, 2)).astype("float32")
    labels = np.zeros(BATCH, "int32")
    dataset = tf.data.Dataset.from_tensors((points, labels)).repeat()
    metrics = gan.train(iter(gan.strategy.experimental_distribute_dataset(dataset)), 1)
    assert np.isfinite(float(metrics["d_loss"]))
