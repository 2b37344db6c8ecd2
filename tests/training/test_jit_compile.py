"""GAN.jit_compile: the XLA-compiled step trains like the plain one; refused where XLA fails."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.training.config import ConfigError
from compare_gan_tf.training.factory import build_gan

BATCH = 8


def _sndcgan(jit_compile, strategy=None):
    return build_gan(
        "sndcgan",
        32,
        channels=1,
        batch_size=BATCH,
        strategy=strategy,
        objective=GANObjective(loss="hinge"),
        g_optimizer=lambda: keras.optimizers.SGD(0.1),
        d_optimizer=lambda: keras.optimizers.SGD(0.1),
        generator_options=dict(ch=4),
        discriminator_options=dict(ch=4),
        jit_compile=jit_compile,
    )


def _variables(gan):
    return [*gan.generator.weights, *gan.discriminator.weights, *gan.ema.average.weights]


@pytest.mark.slow  # about a minute: XLA compiles the D and G updates
def test_the_xla_step_equals_the_plain_step():
    plain, compiled = _sndcgan(False), _sndcgan(True)
    for source, target in zip(_variables(plain), _variables(compiled)):
        target.assign(source.numpy())
    images = tf.random.stateless_uniform([BATCH, 32, 32, 1], [5, 6], minval=-1.0, maxval=1.0)
    dataset = tf.data.Dataset.from_tensors((images, tf.zeros([BATCH], tf.int32))).repeat()
    results = []
    for gan in (plain, compiled):
        metrics = gan.train(iter(dataset), tf.constant(2))
        results.append(([v.numpy() for v in _variables(gan)], float(metrics["d_loss"])))
    (plain_weights, plain_loss), (xla_weights, xla_loss) = results
    assert xla_loss == pytest.approx(plain_loss, abs=1e-4)
    differences = [np.max(np.abs(a - b)) for a, b in zip(plain_weights, xla_weights)]
    assert max(differences) < 1e-4


def test_jit_compile_under_mirrored_strategy_is_refused(mirrored_strategy):
    with pytest.raises(ConfigError, match=r"^GAN.jit_compile = True does not work with Mirrored"):
        _sndcgan(True, mirrored_strategy)
