"""Optimizers and learning-rate schedules from gin bindings, against closed-form values."""

import math

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf
from absl import flags

from compare_gan_tf import main as cli
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.training.experiment import build_gan
from compare_gan_tf.training.optimizers import WarmupDecay, count_in_g_steps, optimizer
from tests.event_scalars import event_scalars
from tests.test_main import TINY_BINDINGS


def _scoped(scope, bindings):
    gin.parse_config(bindings)
    with gin.config_scope(scope):
        return optimizer()


def test_bindings_build_each_optimizer_with_its_hyperparameters(clean_gin):
    bindings = """
        generator/optimizer.name = "adamw"
        generator/adamw.learning_rate = 3e-4
        generator/adamw.beta1 = 0.1
        generator/adamw.weight_decay = 0.02
        discriminator/optimizer.name = "sgd"
        discriminator/sgd.learning_rate = 0.05
        discriminator/sgd.momentum = 0.8
        discriminator/sgd.nesterov = True
    """
    g = _scoped("generator", bindings)
    d = _scoped("discriminator", "")
    assert type(g) is keras.optimizers.AdamW
    assert float(g.learning_rate) == pytest.approx(3e-4)
    assert (g.beta_1, g.beta_2, g.weight_decay) == (0.1, 0.999, 0.02)
    assert type(d) is keras.optimizers.SGD
    assert float(d.learning_rate) == pytest.approx(0.05)
    assert (d.momentum, d.nesterov) == (0.8, True)


def test_adam_stays_the_default(clean_gin):
    adam = _scoped("generator", "generator/adam.beta2 = 0.9")
    assert type(adam) is keras.optimizers.Adam
    assert (adam.beta_1, adam.beta_2) == (0.5, 0.9)
    assert float(adam.learning_rate) == pytest.approx(2e-4)


def test_unknown_optimizer_lists_the_choices(clean_gin):
    with pytest.raises(ConfigError) as error:
        _scoped("generator", 'generator/optimizer.name = "rmsprop"')
    # gin adds a second line naming the configurable and its scope.
    assert str(error.value).splitlines()[0] == (
        "Unknown optimizer.name 'rmsprop'; use one of adam, adamw, sgd. "
        'Bind e.g. generator/optimizer.name = "adamw".'
    )


def _rates(bindings, steps):
    """The optimizer's learning rate after each number of updates in `steps`."""
    opt = _scoped("generator", bindings)
    rates = []
    for step in steps:
        opt.iterations.assign(step)
        rates.append(float(opt.learning_rate))
    return rates


STEPS = (0, 50, 100, 150, 300, 1100, 2000)


def test_warmup_then_cosine_matches_the_closed_form(clean_gin):
    bindings = """
        generator/adam.learning_rate = 1e-3
        generator/adam.warmup_steps = 100
        generator/adam.decay_steps = 1000
        generator/adam.decay = "cosine"
    """

    def expected(t):
        if t < 100:
            return 1e-3 * t / 100
        done = min((t - 100) / 1000, 1.0)
        return 1e-3 * 0.5 * (1 + math.cos(math.pi * done))

    assert _rates(bindings, STEPS) == pytest.approx([expected(t) for t in STEPS], abs=1e-9)


def test_warmup_then_linear_and_plain_linear_decay(clean_gin):
    warm = """
        generator/sgd.learning_rate = 0.1
        generator/sgd.warmup_steps = 100
        generator/sgd.decay_steps = 1000
        generator/optimizer.name = "sgd"
    """
    expected = [0.0, 0.05, 0.1, 0.1 * (1 - 50 / 1000), 0.1 * (1 - 200 / 1000), 0.0, 0.0]
    assert _rates(warm, STEPS) == pytest.approx(expected, abs=1e-8)
    gin.clear_config()
    linear = "generator/adam.learning_rate = 2e-4\ngenerator/adam.decay_steps = 1000"
    expected = [2e-4 * max(1 - t / 1000, 0.0) for t in STEPS]
    assert _rates(linear, STEPS) == pytest.approx(expected, abs=1e-10)


def test_constant_rate_stays_a_variable(clean_gin):
    """No warmup and no decay: a plain rate, which train.on_non_finite = "rollback" can lower."""
    opt = _scoped("generator", "generator/adam.learning_rate = 5e-5")
    assert isinstance(opt.learning_rate, keras.Variable)
    assert float(opt.learning_rate) == pytest.approx(5e-5)


def test_unknown_decay_lists_the_choices(clean_gin):
    with pytest.raises(ConfigError) as error:
        _scoped("generator", 'generator/adam.decay = "exp"\ngenerator/adam.decay_steps = 10')
    assert str(error.value).splitlines()[0] == (
        "Unknown learning-rate decay 'exp'; use one of linear, cosine."
    )


def _closed_form(updates, updates_per_step, peak, warmup, decay_steps, decay):
    """numpy: the rate at G step floor(updates / updates_per_step), written out per piece."""
    t = np.floor(np.asarray(updates, np.float64) / updates_per_step)
    rising = peak * t / warmup
    s = np.clip((t - warmup) / decay_steps, 0.0, 1.0)
    shape = 1.0 - s if decay == "linear" else (1.0 + np.cos(np.pi * s)) / 2.0
    return np.where(t < warmup, rising, peak * shape)


# D updates of a run with disc_iters = 5: within a G step, at its boundaries, after the end.
D_UPDATES = (0, 1, 4, 5, 9, 49, 50, 51, 99, 100, 104, 105, 374, 375, 549, 550, 551, 1000)


@pytest.mark.parametrize("decay", ["linear", "cosine"])
def test_a_schedule_of_5_updates_per_step_follows_the_g_step(decay):
    peak, warmup, decay_steps = 3e-4, 10, 100
    rate = WarmupDecay(peak, warmup, decay_steps, decay, updates_per_step=5)
    got = [float(rate(tf.constant(u, tf.int64))) for u in D_UPDATES]
    expected = _closed_form(D_UPDATES, 5, peak, warmup, decay_steps, decay)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=peak * 1e-6)  # float32
    # Hand-checked points: G step 1 (updates 5..9) is a tenth of the warmup; G step 75
    # (updates 375..379) is 65 % through the decay; G step 110 and after: 0.
    assert got[D_UPDATES.index(9)] == pytest.approx(peak / 10)
    assert got[D_UPDATES.index(4)] == 0.0
    shape = 0.35 if decay == "linear" else (1 + math.cos(math.pi * 0.65)) / 2
    assert got[D_UPDATES.index(375)] == pytest.approx(peak * shape)
    assert got[D_UPDATES.index(550)] == 0.0
    # Each update of G step t sees the rate that G's own schedule (1 update per step) gives at t.
    g_rate = WarmupDecay(peak, warmup, decay_steps, decay)
    for updates in D_UPDATES:
        assert float(rate(updates)) == pytest.approx(float(g_rate(updates // 5)), abs=1e-12)


def test_warmup_decay_round_trips_through_its_config_and_the_optimizers():
    rate = WarmupDecay(1e-3, 20, 300, "cosine", updates_per_step=5)
    assert rate.get_config() == dict(
        peak=1e-3, warmup_steps=20, decay_steps=300, decay="cosine", updates_per_step=5
    )
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(rate))
    assert type(again) is WarmupDecay and again.get_config() == rate.get_config()
    opt = keras.optimizers.Adam.from_config(keras.optimizers.Adam(rate).get_config())
    opt.iterations.assign(5 * 170 + 4)
    assert float(opt.learning_rate) == pytest.approx(float(rate(5 * 170)), abs=1e-12)
    assert float(opt.learning_rate) == pytest.approx(1e-3 * 0.5, abs=1e-10)  # halfway


def test_updates_per_step_must_be_a_positive_integer():
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match="WarmupDecay.updates_per_step must be"):
            WarmupDecay(1e-3, decay_steps=10, updates_per_step=bad)


def test_count_in_g_steps_sets_the_schedule_behind_a_loss_scale_optimizer():
    schedule_ = WarmupDecay(1e-3, decay_steps=10)
    inner = keras.optimizers.Adam(schedule_)
    scaled = count_in_g_steps(keras.optimizers.LossScaleOptimizer(inner), 4)
    inner.iterations.assign(4 * 3 + 3)  # the last D update of G step 3
    assert float(scaled.learning_rate) == pytest.approx(1e-3 * 0.7)
    assert schedule_.updates_per_step == 1  # a shared schedule object is not changed
    constant = count_in_g_steps(keras.optimizers.Adam(5e-5), 4)
    assert isinstance(constant.learning_rate, keras.Variable)  # still lowerable by a rollback
    foreign = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, 10))
    count_in_g_steps(foreign, 1)  # G: a schedule of any kind counts its own (= G) steps
    with pytest.raises(ValueError, match="CosineDecay counts updates, not G steps"):
        count_in_g_steps(foreign, 5)


def test_the_command_line_decays_both_rates_to_0_at_the_last_g_step(tmp_path):
    """GAN.disc_iters = 5 and one unscoped adam.decay_steps = the step count: D's rate follows
    G's at every logged step and both reach 0 at the last step (before, D's hit 0 at step 1)."""
    steps = 4
    bindings = [
        *TINY_BINDINGS,
        f"train.training_steps = {steps}",
        "GAN.disc_iters = 5",
        f"adam.decay_steps = {steps}",
        'adam.decay = "linear"',
    ]
    flags.FLAGS(
        ["compare_gan_tf", f"--model_dir={tmp_path}", "--schedule=train"]
        + [f"--gin_bindings={binding}" for binding in bindings]
    )
    try:
        assert cli.main(["compare_gan_tf"]) == 0
    finally:
        flags.FLAGS.unparse_flags()
        gin.clear_config()
    scalars = event_scalars(str(tmp_path / "train"))
    g, d = scalars["learning_rate/generator"], scalars["learning_rate/discriminator"]
    # digits_sndcgan.gin (the default config) sets both peak rates to 4e-4.
    expected = {t: 4e-4 * (1 - t / steps) for t in range(1, steps + 1)}
    assert sorted(g) == sorted(d) == sorted(expected)
    for t, rate in expected.items():
        assert g[t] == pytest.approx(rate, abs=1e-10)
        assert d[t] == pytest.approx(g[t], abs=1e-10)
    assert g[steps] == d[steps] == 0.0


def test_build_gan_counts_both_schedules_in_g_steps_with_accumulation():
    """disc_iters = 3 passed to the factory reaches the GAN and D's schedule; two micro-batches
    per update still apply one update each, so after 2 G steps D has applied 6."""
    batch, steps = 8, 2

    def adam_decaying():
        return keras.optimizers.Adam(WarmupDecay(1e-3, warmup_steps=1, decay_steps=4))

    gan = build_gan(
        "dcgan",
        32,
        channels=1,
        batch_size=batch,
        z_dim=8,
        g_optimizer=adam_decaying,
        d_optimizer=adam_decaying,
        generator_options=dict(ch=4),
        discriminator_options=dict(ch=4),
        disc_iters=3,
        accumulation_steps=2,
    )
    assert gan.disc_iters == 3
    images = tf.random.stateless_uniform([batch, 32, 32, 1], [1, 2], minval=-1.0, maxval=1.0)
    dataset = tf.data.Dataset.from_tensors((images, tf.zeros([batch], tf.int32))).repeat()
    gan.train(iter(dataset), tf.constant(steps))
    assert int(gan.step.numpy()) == steps
    assert int(gan.d_optimizer.iterations.numpy()) == 3 * steps
    assert int(gan.g_optimizer.iterations.numpy()) == steps
    # G step 2: warmup done at 1, then 1 of 4 decay steps.
    expected = 1e-3 * (1 - (steps - 1) / 4)
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(expected, abs=1e-10)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(expected, abs=1e-10)
