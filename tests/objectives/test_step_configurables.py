"""GANObjective.step_configurables names exactly the configurables with settings that its losses
call in a step: a run accepts their bindings before the step is traced on that list alone."""

import inspect

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.objectives.objective import CONSISTENCY


def _has_settings(selector):
    """Whether a configurable has a parameter with a default, which gin may bind."""
    wrapped = gin.config._REGISTRY[selector].wrapped
    parameters = inspect.signature(wrapped).parameters.values()
    return any(parameter.default is not parameter.empty for parameter in parameters)


def _called_selectors():
    return {selector for _, selector in gin.config._OPERATIVE_CONFIG}


@pytest.mark.parametrize("consistency", CONSISTENCY)
def test_the_step_calls_the_configurables_the_objective_names(consistency):
    gin.clear_config()
    objective = GANObjective(consistency=consistency)
    objective.build(8)
    before = _called_selectors()
    w = np.random.randn(4, 4, 2).astype("float32")

    def d_fn(images, labels):
        return tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None]

    def g_fn(z, labels):
        return tf.tanh(tf.reshape(z, [-1, 4, 4, 2]))

    z = tf.random.normal([8, 32])
    real = tf.random.uniform([8, 4, 4, 2], -1.0, 1.0)
    objective.discriminator_loss(d_fn, g_fn, real, None, z)
    objective.generator_loss(d_fn, g_fn, z, None)
    called = {s for s in _called_selectors() - before if _has_settings(s)}
    named = {gin.config._inverse_lookup(c).selector for c in objective.step_configurables()}
    assert called == named
    gin.clear_config()
