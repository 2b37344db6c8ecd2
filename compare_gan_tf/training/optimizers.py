"""Optimizers and learning-rate schedules chosen by gin, for G and D separately.

    generator/optimizer.name = "adamw"
    generator/adamw.learning_rate = 1e-4
    generator/adamw.warmup_steps = 1000
    generator/adamw.decay_steps = 99000
    generator/adamw.decay = "cosine"

Every optimizer takes the same schedule arguments: `warmup_steps` (linear rise from 0 to
`learning_rate`), then `decay_steps` (None: constant) of `decay` ("linear" or "cosine") to 0.

Both counts are in G steps (the GAN's step counter, `train.training_steps`' unit), for G and D
alike: D applies `GAN.disc_iters` updates per G step, and its schedule advances once per G
step, so the same `warmup_steps` and `decay_steps` end both rates at the same G step
(`adam.decay_steps = 10000` with `train.training_steps = 10000` takes both to 0 at the last
step, whatever `disc_iters`). This is compare_gan's unit (its rates follow the global step, G
updates) and WGAN-GP's (Gulrajani et al. 2017 decay both rates over the G iterations).
`GAN.accumulation_steps` does not change the count (its micro-batches make one update), and
TensorBoard's learning_rate/generator and learning_rate/discriminator at step t are both rate(t).
"""

import math

import gin
import keras
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError

DECAYS = ("linear", "cosine")


@keras.saving.register_keras_serializable(package="compare_gan_tf")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """rate(t) = peak * t / warmup for t < warmup, then peak * f((t - warmup) / decay_steps),
    with f(s) = 1 - s ("linear") or (1 + cos(pi s)) / 2 ("cosine") for s in [0, 1], and 0 after.
    `decay_steps` None keeps the peak after the warmup.

    t is the G step: Keras calls the schedule with the optimizer's update count, which is
    t * `updates_per_step` + (updates so far in this G step), so t = floor(updates /
    updates_per_step). `updates_per_step` is `GAN.disc_iters` for D (build_gan sets it) and 1
    for G.
    """

    def __init__(self, peak, warmup_steps=0, decay_steps=None, decay="linear", updates_per_step=1):
        check_choice("learning-rate decay", decay, DECAYS, error=ConfigError)
        if (
            isinstance(updates_per_step, bool)
            or not isinstance(updates_per_step, int)
            or updates_per_step < 1
        ):
            raise ValueError(
                f"WarmupDecay.updates_per_step must be the optimizer's updates per G step (an "
                f"integer >= 1, GAN.disc_iters for D), got {updates_per_step!r}."
            )
        self.peak, self.warmup_steps = float(peak), int(warmup_steps)
        self.decay_steps, self.decay = decay_steps, decay
        self.updates_per_step = updates_per_step

    def __call__(self, updates):
        step = tf.cast(tf.cast(updates, tf.int64) // self.updates_per_step, tf.float32)
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
            updates_per_step=self.updates_per_step,
        )


def _check_rate(learning_rate):
    """Raises a ConfigError unless `learning_rate` is a number > 0."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise ConfigError(
            f"The optimizer's learning_rate must be a number, got {learning_rate!r}; write it "
            "without quotes, e.g. generator/adam.learning_rate = 1e-4."
        )
    if learning_rate <= 0:
        raise ConfigError(f"The optimizer's learning_rate must be > 0, got {learning_rate!r}.")


def schedule(learning_rate, warmup_steps=0, decay_steps=None, decay="linear"):
    """The constant `learning_rate` when there is neither warmup nor decay, else a WarmupDecay."""
    # A schedule object of the user's passes as it is (count_in_g_steps checks it).
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        _check_rate(learning_rate)
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


def count_in_g_steps(optimizer, updates_per_step):
    """Makes `optimizer`'s schedule advance once per G step when the optimizer applies
    `updates_per_step` updates per G step (D: GAN.disc_iters), so that its warmup and decay end
    at the same G step as G's. A constant rate is left as it is.

    Raises ValueError for a schedule other than WarmupDecay when `updates_per_step` > 1: it
    would count the optimizer's updates, not G steps.
    """
    rate = getattr(optimizer, "inner_optimizer", optimizer)._learning_rate  # the schedule itself
    if isinstance(rate, WarmupDecay):
        if rate.updates_per_step != updates_per_step:
            config = dict(rate.get_config(), updates_per_step=updates_per_step)
            optimizer.learning_rate = WarmupDecay(**config)
    elif isinstance(rate, keras.optimizers.schedules.LearningRateSchedule) and updates_per_step > 1:
        raise ValueError(
            f"The optimizer applies {updates_per_step} updates per G step, but its schedule "
            f"{type(rate).__name__} counts updates, not G steps; use "
            "compare_gan_tf.training.optimizers.WarmupDecay (or a constant rate)."
        )
    return optimizer


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


def mine_optimizer(mine, make_fakes, z):
    """MINE's statistics network's optimizer (gin's `adam`), built with the network's weights on
    the fakes `make_fakes()` of `z`; None without MINE."""
    if mine is None:
        return None
    mine.mutual_information(make_fakes(), z)  # builds its weights
    optimizer = adam()
    optimizer.build(mine.trainable_variables)
    return optimizer
