"""GAN.jit_compile: the XLA-compiled step trains like the plain one, on one device (the whole
step as one program) and under MirroredStrategy on logical CPUs (each replica's losses and
gradients); refused where XLA cannot compile a cross-replica sum."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.experiment import build_gan

BATCH = 8


def _sndcgan(jit_compile, strategy=None, cross_replica_bn=None, objective=None):
    generator_options = dict(ch=4)
    if cross_replica_bn is not None:
        generator_options["synchronized"] = cross_replica_bn
    return build_gan(
        "sndcgan",
        32,
        channels=1,
        batch_size=BATCH,
        strategy=strategy,
        objective=objective or GANObjective(loss="hinge"),
        g_optimizer=lambda: keras.optimizers.SGD(0.1),
        d_optimizer=lambda: keras.optimizers.SGD(0.1),
        generator_options=generator_options,
        discriminator_options=dict(ch=4),
        jit_compile=jit_compile,
    )


def _variables(gan):
    return [*gan.generator.weights, *gan.discriminator.weights, *gan.ema.average.weights]


def _train_both(plain, compiled, steps=2):
    """Trains both GANs from the same weights on the same batches; returns their weights and
    mean metrics, and the starting weights."""
    start = [v.numpy() for v in _variables(plain)]
    for target, value in zip(_variables(compiled), start):
        target.assign(value)
    images = tf.random.stateless_uniform([BATCH, 32, 32, 1], [5, 6], minval=-1.0, maxval=1.0)
    dataset = tf.data.Dataset.from_tensors((images, tf.zeros([BATCH], tf.int32))).repeat()
    results = []
    for gan in (plain, compiled):
        iterator = iter(gan.strategy.experimental_distribute_dataset(dataset))
        metrics = gan.train(iterator, tf.constant(steps))
        metrics = {name: float(value) for name, value in metrics.items()}
        results.append(([v.numpy() for v in _variables(gan)], metrics))
    return results, start


@pytest.mark.slow  # about a minute: XLA compiles the whole step
def test_the_xla_step_equals_the_plain_step():
    ((plain_weights, plain_metrics), (xla_weights, xla_metrics)), _ = _train_both(
        _sndcgan(False), _sndcgan(True)
    )
    plain_loss, xla_loss = plain_metrics["d_loss"], xla_metrics["d_loss"]
    assert xla_loss == pytest.approx(plain_loss, abs=1e-4)
    differences = [np.max(np.abs(a - b)) for a, b in zip(plain_weights, xla_weights)]
    assert max(differences) < 1e-4


def test_the_xla_step_under_mirrored_strategy_equals_the_plain_step(mirrored_strategy):
    """4 replicas of 2 examples; G's batch norms per replica (XLA has no CPU all-reduce)."""
    plain = _sndcgan(False, mirrored_strategy, cross_replica_bn=False)
    compiled = _sndcgan(True, mirrored_strategy, cross_replica_bn=False)
    results, start = _train_both(plain, compiled)
    (plain_weights, plain_metrics), (xla_weights, xla_metrics) = results
    plain_loss, xla_loss = plain_metrics["d_loss"], xla_metrics["d_loss"]
    # float32 sums in another order: 1e-4 on losses of order 1 and on weights.
    assert xla_loss == pytest.approx(plain_loss, abs=1e-4)
    differences = [np.max(np.abs(a - b)) for a, b in zip(plain_weights, xla_weights)]
    assert max(differences) < 1e-4
    # The steps trained: G's and D's weights moved from where both started.
    moved = [np.max(np.abs(a - b)) for a, b in zip(xla_weights, start)]
    g_end = len(plain.generator.weights)
    d_end = g_end + len(plain.discriminator.weights)
    assert max(moved[:g_end]) > 1e-3 and max(moved[g_end:d_end]) > 1e-3


def test_jit_compile_with_cross_replica_sums_on_cpus_is_refused(mirrored_strategy):
    with pytest.raises(ConfigError, match=r"^GAN.jit_compile = True cannot compile cross-replica"):
        _sndcgan(True, mirrored_strategy)


def test_random_draws_under_mirrored_strategy_equal_the_plain_step(mirrored_strategy):
    """DiffAugment and WGAN-GP's interpolates draw statelessly from the GAN's per-update seed
    (objectives.seeds), so the compiled replicas draw exactly what the plain ones draw (the
    global generator would draw other numbers under XLA). The consistency terms' draws are
    compared in tests/objectives/test_seeds.py and, in whole steps, in the slow
    tests/training/test_xla_equivalence.py."""

    def random_objective():
        return GANObjective(loss="wasserstein", penalty="wgan_gp", augment="diffaugment")

    plain, compiled = (
        _sndcgan(jit, mirrored_strategy, cross_replica_bn=False, objective=random_objective())
        for jit in (False, True)
    )
    results, start = _train_both(plain, compiled)
    (plain_weights, plain_metrics), (xla_weights, xla_metrics) = results
    assert "penalty" in plain_metrics
    # float32 sums in another order, as above: 1e-4 on terms of order 1-10 and on weights
    # (measured: 1.2e-7 on weights; other draws of the objective alone: 4.3e-3).
    for name, value in plain_metrics.items():
        assert xla_metrics[name] == pytest.approx(value, rel=1e-4, abs=1e-4), name
    differences = [np.max(np.abs(a - b)) for a, b in zip(plain_weights, xla_weights)]
    print(f"\nmax |xla - plain| weight difference {max(differences):.2e}")
    assert max(differences) < 1e-4
    moved = [np.max(np.abs(a - b)) for a, b in zip(xla_weights, start)]
    assert max(moved) > 1e-2


@pytest.mark.parametrize("objective", ["ada", "lecam"])
def test_jit_compile_with_ada_or_lecam_on_cpus_is_refused(mirrored_strategy, objective):
    options = dict(augment="ada") if objective == "ada" else dict(lecam_weight=0.3)
    expected = "ADA's augmentation probability" if objective == "ada" else "LeCam's logit"
    with pytest.raises(ConfigError, match=f"cannot compile {expected}"):
        _sndcgan(True, mirrored_strategy, False, objective=GANObjective(**options))
