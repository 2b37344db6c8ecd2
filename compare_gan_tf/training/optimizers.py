"""Optimizers and learning-rate schedules chosen by gin, for G and D separately.

    generator/optimizer.name = "adamw"
    generator/adamw.learning_rate = 1e-4
    generator/adamw.warmup_steps = 1000
    generator/adamw.decay_steps = 99000
    generator/adamw.decay = "cosine"

Every optimizer takes the same schedule arguments: `warmup_steps` (linear rise from 0 to
`learning_rate`), then `decay_steps` (None: constant) of `decay` ("linear" or "cosine") to 0.
"""

import math

import gin
import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.training.config import ConfigError

DECAYS = ("linear", "cosine")


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """rate(t) = peak * t / warmup for t < warmup, then peak * f((t - warmup) / decay_steps),
    with f(s) = 1 - s ("linear") or (1 + cos(pi s)) / 2 ("cosine") for s in [0, 1], and 0 after.
    `decay_steps` None keeps the peak after the warmup."""

    def __init__(self, peak, warmup_steps=0, decay_steps=None, decay="linear"):
        check_choice("learning-rate decay", decay, DECAYS, error=ConfigError)
        self.peak, self.warmup_steps = float(peak), int(warmup_steps)
        self.decay_steps, self.decay = decay_steps, decay

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        rate = tf.constant(self.peak, tf.float32)
        if self.warmup_steps:
            rate *= tf.minimum(step / self.warmup_steps, 1.0)
        if self.decay_steps:
            done = tf.clip_by_value((step - self.warmup_steps) / self.decay_steps, 0.0, 1.0)
            if self.decay == "linear":
                rate *= 1.0 - done
            else:
                rate *= 0.5 * (1.0 + tf.cos(math.pi * done))
        return rate

    def get_config(self):
        return dict(
            peak=self.peak,
            warmup_steps=self.warmup_steps,
            decay_steps=self.decay_steps,
            decay=self.decay,
        )


def schedule(learning_rate, warmup_steps=0, decay_steps=None, decay="linear"):
    """The constant `learning_rate` when there is neither warmup nor decay, else a WarmupDecay."""
    for name, value in (("warmup_steps", warmup_steps), ("decay_steps", decay_steps or 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(
                f"The optimizer's {name} must be a number of steps (>= 0), got {value!r}."
            )
    check_choice("learning-rate decay", decay, DECAYS, error=ConfigError)
    if not warmup_steps and not decay_steps:
        return learning_rate
    return WarmupDecay(learning_rate, warmup_steps, decay_steps, decay)


@gin.configurable
def adam(
    learning_rate=2e-4, beta1=0.5, beta2=0.999, warmup_steps=0, decay_steps=None, decay="linear"
):
    """Adam. Defaults are compare_gan's (Kurach et al. 2019); WGAN-GP used beta1=0, beta2=0.9
    with the linear decay, BigGAN beta1=0, beta2=0.999 and two time-scale rates (G 5e-5, D 2e-4).
    """
    rate = schedule(learning_rate, warmup_steps, decay_steps, decay)
    return keras.optimizers.Adam(rate, beta_1=beta1, beta_2=beta2)


@gin.configurable
def adamw(
    learning_rate=2e-4,
    beta1=0.5,
    beta2=0.999,
    weight_decay=1e-4,
    warmup_steps=0,
    decay_steps=None,
    decay="linear",
):
    """AdamW: Adam with decoupled weight decay (Loshchilov and Hutter 2019)."""
    rate = schedule(learning_rate, warmup_steps, decay_steps, decay)
    return keras.optimizers.AdamW(rate, weight_decay=weight_decay, beta_1=beta1, beta_2=beta2)


@gin.configurable
def sgd(
    learning_rate=1e-2,
    momentum=0.9,
    nesterov=False,
    warmup_steps=0,
    decay_steps=None,
    decay="linear",
):
    """Stochastic gradient descent with (heavy-ball or Nesterov) momentum."""
    rate = schedule(learning_rate, warmup_steps, decay_steps, decay)
    return keras.optimizers.SGD(rate, momentum=momentum, nesterov=nesterov)


OPTIMIZERS = {"adam": adam, "adamw": adamw, "sgd": sgd}


@gin.configurable
def optimizer(name="adam"):
    """The optimizer `name` (one of OPTIMIZERS) with its own gin bindings, e.g. `adamw.*`."""
    check_choice(
        "optimizer.name",
        name,
        OPTIMIZERS,
        'Bind e.g. generator/optimizer.name = "adamw".',
        error=ConfigError,
    )
    return OPTIMIZERS[name]()
