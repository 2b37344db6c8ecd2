"""Penalties added to the discriminator loss (compare_gan's `penalty_lib`, plus R1 and R2).

Each returns one float32 scalar that already includes its weight (set by
GANObjective.penalty_weight, the one place for it). The gradient penalties use a
GradientTape on D's input nested inside the caller's tape, so they are differentiable with respect
to D's variables (double backprop). They differentiate the sum of the logits, which gives
per-sample input gradients only when D has no coupling between samples (no batch norm or
minibatch statistics in D). Means are over the batch given (the replica's batch under
`strategy.run`). A conditional D gets the real labels, as compare_gan did (R2 gets the labels of
the fakes). The random points of WGAN-GP and DRAGAN come from the global generator, or, with
`seed`, from stateless draws (`seeds`) that XLA reproduces.
"""

import typing

import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.objectives.seeds import Draws

# How DRAGAN perturbs the real images: the authors' notebook, or compare_gan's penalty_lib.
DRAGAN_NOISES = ("one_sided", "two_sided_clipped")


def logits_and_input_gradient(d_fn, images, labels=None):
    """D's float32 logits [B, 1] at `images` and the gradient of their sum w.r.t. `images`."""
    images = tf.cast(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = tf.cast(d_fn(images, labels), tf.float32)
    gradient = tape.gradient(logits, images)
    if gradient is None:
        raise ValueError(
            "The discriminator's logits do not depend on its images input, so the input gradient "
            "is undefined. Pass a d_fn(images, labels) whose output is computed from `images`."
        )
    return logits, gradient


def squared_norm_per_sample(gradient):
    """Sum of squares over every axis but the batch axis: ||g_i||^2, shape [B]."""
    return tf.reduce_sum(tf.square(tf.reshape(gradient, [tf.shape(gradient)[0], -1])), axis=1)


def _uniform_per_sample(images, draws):
    """One U[0, 1) draw per sample, shaped to broadcast over the other axes of `images`."""
    return draws.uniform([tf.shape(images)[0]] + [1] * (images.shape.rank - 1))


def _unit_slope_penalty(d_fn, points, labels):
    """E[(slope - 1)^2] at `points`, the form WGAN-GP and DRAGAN share."""
    _, gradient = logits_and_input_gradient(d_fn, points, labels)
    # compare_gan penalty_lib: slope = sqrt(1e-4 + ||grad||^2); the 1e-4 keeps sqrt' finite at 0.
    slope = tf.sqrt(1e-4 + squared_norm_per_sample(gradient))
    return tf.reduce_mean(tf.square(slope - 1.0))


def wgan_gp(d_fn, real_images, fake_images, labels=None, weight=10.0, seed=None):
    """1-centred gradient penalty on real-fake interpolates (Gulrajani et al. 2017).

    The default weight 10 is the paper's lambda (compare_gan's `options.lamba` defaulted to 1).
    `seed`: None draws alpha from the global generator, a seed from stateless draws.
    """
    real = tf.cast(real_images, tf.float32)
    fake = tf.cast(fake_images, tf.float32)
    if real.shape != fake.shape:
        raise ValueError(
            f"wgan_gp interpolates real and fake images, so they need the same shape; got "
            f"{real.shape} and {fake.shape}. Generate as many fakes as there are real images."
        )
    # Gulrajani et al. 2017, Algorithm 1: x_hat = x + alpha (x_fake - x), alpha ~ U[0, 1] each.
    interpolates = real + _uniform_per_sample(real, Draws(seed)) * (fake - real)
    # Gulrajani et al. 2017, eq. 3: lambda E[(||grad D(x_hat)|| - 1)^2].
    return weight * _unit_slope_penalty(d_fn, interpolates, labels)


def dragan(d_fn, real_images, labels=None, weight=10.0, seed=None, noise="one_sided"):
    """DRAGAN's penalty around the real data (Kodali et al. 2017), by default the authors'
    notebook variant.

    noise="one_sided" (the default): the notebook (kodalinaveen3/DRAGAN) perturbs one-sidedly,
    x_p = x + 0.5 std(x) U[0, 1) with std over the whole batch, then penalizes at
    x + alpha (x_p - x) with alpha per sample; no clip is applied, as in the notebook.
    noise="two_sided_clipped" is compare_gan's penalty_lib.dragan_penalty: the penalty at
    clip(x + std(x) (U[0, 1) - 0.5), -1, 1) itself (no interpolation). compare_gan clipped to its
    [0, 1] image range; [-1, 1] is the model's, and x -> 2x - 1 maps its points onto these
    exactly. Its slope is taken w.r.t. the images D sees, so a D that saw [0, 1] images has
    twice the slope of the same D on [-1, 1] ones (as with wgan_gp). Meant for images: 2-D
    points outside [-1, 1] would be clipped too.
    Both use population std over all axes and compare_gan's 1e-4 inside the slope's sqrt. Under
    `strategy.run`, std is the replica batch's (compare_gan's TPU cores also took their own).
    `seed`: None draws from the global generator, a seed from stateless draws (the noise is
    the first draw of `seeds.Draws(seed)`).
    """
    check_choice("DRAGAN noise", noise, DRAGAN_NOISES, colon=True)
    real = tf.cast(real_images, tf.float32)
    draws = Draws(seed)
    if noise == "two_sided_clipped":
        # compare_gan penalty_lib.dragan_penalty: x + std(x) (U[0, 1) - 0.5), clipped to the
        # image range, with tf.nn.moments' population variance over every axis.
        noisy = real + tf.math.reduce_std(real) * (draws.uniform(tf.shape(real)) - 0.5)
        points = tf.clip_by_value(noisy, -1.0, 1.0)
        # compare_gan penalty_lib.dragan_penalty: E[(sqrt(1e-4 + ||grad D(x~)||^2) - 1)^2].
        return weight * _unit_slope_penalty(d_fn, points, labels)
    # Kodali et al. 2017, notebook: x_p = x + 0.5 std(x) U[0, 1), independent per element.
    perturbed = real + 0.5 * tf.math.reduce_std(real) * draws.uniform(tf.shape(real))
    # Kodali et al. 2017, notebook: x_hat = x + alpha (x_p - x), alpha ~ U[0, 1] per sample.
    points = real + _uniform_per_sample(real, draws) * (perturbed - real)
    # Kodali et al. 2017, notebook: lambda E[(||grad D(x_hat)|| - 1)^2] with lambda = 10.
    return weight * _unit_slope_penalty(d_fn, points, labels)


def r1(d_fn, real_images, labels=None, weight=10.0):
    """Zero-centred penalty on real images, R1 (Mescheder et al. 2018); `weight` is gamma.

    This uses the paper's (gamma / 2) E||grad D||^2, as StyleGAN2 does. GAN_stability's code adds
    reg_param * E||grad D||^2, so its reg_param = 10 equals weight (gamma) = 20 here.
    """
    _, gradient = logits_and_input_gradient(d_fn, real_images, labels)
    # Mescheder et al. 2018, eq. 9: R1 = gamma / 2 E_real[||grad_x D(x)||^2].
    return 0.5 * weight * tf.reduce_mean(squared_norm_per_sample(gradient))


def r2(d_fn, fake_images, labels=None, weight=10.0):
    """Zero-centred penalty on generated images, R2 (Mescheder et al. 2018); `weight` is gamma.

    Same convention as `r1`; pass the labels the fakes were generated with.
    """
    _, gradient = logits_and_input_gradient(d_fn, fake_images, labels)
    # Mescheder et al. 2018, eq. 10: R2 = gamma / 2 E_fake[||grad_x D(x)||^2].
    return 0.5 * weight * tf.reduce_mean(squared_norm_per_sample(gradient))


def r1_r2(
    d_fn, real_images, fake_images, labels=None, fake_labels=None, weight=10.0, r2_weight=None
):
    """R1 on the reals plus R2 on the fakes, R3GAN's regularization (Huang et al. 2024);
    `weight` is R1's gamma and `r2_weight` R2's (None: the same gamma, as R3GAN uses)."""
    r2_gamma = weight if r2_weight is None else r2_weight
    # Huang et al. 2024 (R3GAN): gamma/2 E_real||grad D||^2 + gamma/2 E_fake||grad D||^2.
    return r1(d_fn, real_images, labels, weight) + r2(d_fn, fake_images, fake_labels, r2_gamma)


def l2(variables, weight=1.0):
    """Weight decay on D's kernels as compare_gan's `l2_penalty` (default weight: its lamba, 1).

    `variables` are D's trainable variables; the kernels are those with two or more axes (dense
    and convolution kernels, embedding matrices), which leaves out biases and normalization
    parameters.
    """
    kernels = [v for v in variables if len(v.shape) >= 2]
    if not kernels:
        raise ValueError(
            "l2 found no kernels (variables with 2 or more axes) among the variables given. "
            "Pass the discriminator's trainable_variables after it has been built."
        )
    # compare_gan penalty_lib.l2_penalty: mean over kernels of tf.nn.l2_loss(W) = sum(W^2) / 2.
    halves = [0.5 * tf.reduce_sum(tf.square(tf.cast(k, tf.float32))) for k in kernels]
    return weight * tf.add_n(halves) / len(kernels)


# The penalties by gin name (GANObjective.penalty), each called with the D step's inputs `at`
# (a PenaltyInputs) and the weight keyword when one is set; "none" adds no term.
PENALTIES = {
    "none": None,
    "wgan_gp": lambda at, **weight: wgan_gp(
        at.d_fn, at.real_images, at.fake_images, at.labels, **weight, seed=at.seed
    ),
    "dragan": lambda at, **weight: dragan(
        at.d_fn, at.real_images, at.labels, **weight, seed=at.seed, noise=at.dragan_noise
    ),
    "r1": lambda at, **weight: r1(at.d_fn, at.real_images, at.labels, **weight),
    "r2": lambda at, **weight: r2(at.d_fn, at.fake_images, at.fake_labels, **weight),
    "r1_r2": lambda at, **weights: r1_r2(
        at.d_fn, at.real_images, at.fake_images, at.labels, at.fake_labels, **weights
    ),
    "l2": lambda at, **weight: l2(at.d_variables, **weight),
}


class PenaltyInputs(typing.NamedTuple):
    """What a D step offers a penalty."""

    d_fn: typing.Callable
    real_images: tf.Tensor
    fake_images: tf.Tensor
    labels: typing.Any
    fake_labels: typing.Any
    d_variables: list
    seed: typing.Any
    dragan_noise: str = "one_sided"


def lazy(penalty_fn, step, interval=16):
    """Lazy regularization (Karras et al. 2020, StyleGAN2, appendix B): `penalty_fn` every
    `interval` steps, scaled by `interval`, and exactly 0 on the other steps.

    On one replica a tf.cond, so only the due steps pay for the penalty inside a compiled step;
    under several replicas D's call cannot sit inside a conditional (its spectral-norm and batch
    statistics updates synchronize the replicas), so the penalty is computed every step and
    weighted k or 0. With interval 1 it is the penalty itself. Averaged over
    `interval` consecutive steps the term equals the penalty. StyleGAN2 runs the regularization
    as separate optimizer steps and so scales Adam's learning rate by c = k / (k + 1) and its
    betas to beta^c; here the term joins the ordinary D loss of the due step, so the number of
    optimizer steps is unchanged and no such correction is applied.

    Args:
      penalty_fn: zero-argument callable returning the weighted penalty (a scalar).
      step: int scalar (tensor or variable) counting D steps; the penalty runs when
        step % interval == 0, so on the first step.
      interval: k, a positive int (16 in StyleGAN2; 1 evaluates every step).

    Returns:
      float32 scalar.
    """
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"interval must be a positive int; got {interval!r}.")
    if interval == 1:
        return tf.cast(penalty_fn(), tf.float32)
    due = tf.equal(tf.math.floormod(tf.cast(step, tf.int64), interval), 0)
    # Karras et al. 2020 (StyleGAN2), appendix B: k * R every k-th minibatch, 0 otherwise.
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        return tf.where(due, float(interval), 0.0) * tf.cast(penalty_fn(), tf.float32)
    return tf.cond(
        due,
        lambda: float(interval) * tf.cast(penalty_fn(), tf.float32),
        lambda: tf.constant(0.0, tf.float32),
    )


def lazy_r1(d_fn, real_images, labels=None, *, step, weight=10.0, interval=16):
    """R1 (see `r1`, weight = gamma) under lazy regularization: 16 x R1 every 16th D step.

    Args:
      d_fn: d_fn(images, labels) -> logits [B, 1].
      real_images: the real batch, as given to `r1`.
      labels: the real labels for a conditional D, else None.
      step: int scalar counting D steps (see `lazy`).
      weight: gamma of R1.
      interval: k of lazy regularization (16, StyleGAN2's D regularization interval).

    Returns:
      float32 scalar.
    """
    return lazy(lambda: r1(d_fn, real_images, labels, weight=weight), step, interval)
