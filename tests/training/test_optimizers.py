"""Optimizers and learning-rate schedules from gin bindings, against closed-form values."""

import math

import gin
import keras
import pytest

from compare_gan_tf.training.config import ConfigError
from compare_gan_tf.training.optimizers import optimizer


@pytest.fixture
def clean_gin():
    gin.clear_config()
    yield
    gin.clear_config()


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
