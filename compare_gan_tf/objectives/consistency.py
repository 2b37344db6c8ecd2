"""Consistency regularization: CR (Zhang et al. 2020), bCR and zCR (Zhao et al. 2021).

The augmentations act on a batch of NHWC images, with an independent draw per image, and keep
static shapes (they gather pixels instead of padding), so they also run under XLA. The terms are
weighted batch means over the batch given (the replica's batch under `strategy.run`); a D term
compares logits [B, 1], so its squared distance is the per-sample squared difference.
Weights default to the papers' values (methods.md section 7; the paper values were not re-read).

Random draws come from the global generator, or, with `seed` (an int or a [2] int tensor), from
stateless draws (`seeds`) that XLA reproduces; a function with several draws keys each by its own
seed folded from `seed`.
"""

import inspect

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.objectives.penalties import squared_norm_per_sample
from compare_gan_tf.objectives.seeds import Draws

PADDINGS = ("reflect", "zeros")


def flip(images):
    """Mirrors every image left-right (NHWC)."""
    return tf.reverse(images, axis=[2])


def random_flip(images, seed=None):
    """Mirrors each image left-right with probability 1/2 (`seed`: None or stateless)."""
    mirrored = Draws(seed).uniform([tf.shape(images)[0], 1, 1, 1]) < 0.5
    return tf.where(mirrored, flip(images), images)


def _source_indices(size, offsets, padding):
    """Source index and validity [B, size] of each output position after shifting by `offsets` [B].

    "reflect" mirrors about the edge pixel without repeating it (numpy's and tf.pad's REFLECT) and
    needs |offset| < size; "zeros" marks positions that fall outside the image as invalid.
    """
    indices = tf.range(size)[None, :] - offsets[:, None]
    if padding == "reflect":
        indices = (size - 1) - tf.abs((size - 1) - tf.abs(indices))
        return indices, tf.ones_like(indices, dtype=tf.bool)
    valid = (indices >= 0) & (indices < size)
    return tf.clip_by_value(indices, 0, size - 1), valid


def translate(images, offsets, padding="reflect"):
    """Moves image i down by offsets[i, 0] and right by offsets[i, 1] pixels (negative: up/left).

    `offsets` is an int [B, 2] tensor. The uncovered border is filled by reflection or with zeros.
    """
    check_choice("padding", padding, PADDINGS)
    offsets = tf.cast(offsets, tf.int32)
    height, width = images.shape[1], images.shape[2]
    rows, rows_valid = _source_indices(height, offsets[:, 0], padding)
    cols, cols_valid = _source_indices(width, offsets[:, 1], padding)
    shifted = tf.gather(images, rows, axis=1, batch_dims=1)
    shifted = tf.gather(shifted, cols, axis=2, batch_dims=1)
    valid = rows_valid[:, :, None, None] & cols_valid[:, None, :, None]
    return tf.where(valid, shifted, tf.zeros_like(shifted))


def random_translation(images, max_fraction=0.125, padding="reflect", seed=None):
    """Shifts each image by integers drawn uniformly in [-m, m], m = floor(max_fraction * size)
    (`seed`: None or stateless)."""
    batch = tf.shape(images)[0]
    draws = Draws(seed)
    shifts = []
    for size in (images.shape[1], images.shape[2]):
        limit = int(max_fraction * size)
        shifts.append(draws.uniform([batch], -limit, limit + 1, dtype=tf.int32))
    return translate(images, tf.stack(shifts, axis=1), padding)


@gin.configurable(denylist=["seed"])  # each step passes its own seed
def consistency_augment(
    images, horizontal_flip=True, max_translation=0.125, padding="reflect", seed=None
):
    """T(x) of CR and bCR: random horizontal flip, then a random translation.

    Defaults follow StudioGAN's CR (methods.md section 7): shifts of up to 1/8 of the side (4 px at
    32 px) with reflect padding. GN-GAN-CR used 20% shifts; `max_translation=0` disables them.
    `seed`: None for the global generator, or a seed of stateless draws.
    """
    images = tf.cast(images, tf.float32)
    draws = Draws(seed)
    if horizontal_flip:
        images = random_flip(images, seed=draws.next_seed())
    if max_translation > 0:
        images = random_translation(images, max_translation, padding, seed=draws.next_seed())
    return images


def _takes_seed(fn):
    """Whether `fn` accepts a `seed` keyword (gin's wrappers keep the signature)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "seed" or p.kind is p.VAR_KEYWORD for p in parameters)


def _augmented(augment_fn, images, seed):
    """augment_fn(images), passing `seed` when there is one and augment_fn takes it (an
    augment_fn of images alone draws from the global generator, which XLA does not reproduce)."""
    if seed is not None and _takes_seed(augment_fn):
        return augment_fn(images, seed=seed)
    return augment_fn(images)


def _mean_squared_distance(a, b):
    """Batch mean of ||a_i - b_i||^2 over the non-batch axes."""
    difference = tf.cast(a, tf.float32) - tf.cast(b, tf.float32)
    return tf.reduce_mean(squared_norm_per_sample(difference))


def _augmentation_distance(d_fn, images, labels, logits, augment_fn, seed=None):
    """Batch mean of ||D(x) - D(T(x))||^2; `logits` = D(x) when already computed."""
    if logits is None:
        logits = d_fn(images, labels)
    return _mean_squared_distance(logits, d_fn(_augmented(augment_fn, images, seed), labels))


@gin.configurable(denylist=["seed"])  # each step passes its own seed
def cr(
    d_fn,
    real_images,
    labels=None,
    real_logits=None,
    weight=10.0,
    augment_fn=consistency_augment,
    seed=None,
):
    """CR term of the D loss on real images; pass `real_logits` = D(x) to reuse them. `seed`
    (None: the global generator) keys T's draws."""
    distance = _augmentation_distance(d_fn, real_images, labels, real_logits, augment_fn, seed)
    # Zhang et al. 2020 (CR-GAN), Algorithm 1: lambda ||D(x) - D(T(x))||^2, lambda = 10.
    return weight * distance


@gin.configurable(denylist=["seed"])  # each step passes its own seed
def bcr(
    d_fn,
    real_images,
    fake_images,
    labels=None,
    fake_labels=None,
    real_logits=None,
    fake_logits=None,
    weight_real=10.0,
    weight_fake=10.0,
    augment_fn=consistency_augment,
    seed=None,
):
    """Balanced CR: the (real, fake) pair of D-loss terms. Fakes are not differentiated into G.
    `seed` (None: the global generator) keys T's draws."""
    fake_images = tf.stop_gradient(fake_images)
    fake_labels = labels if fake_labels is None else fake_labels
    draws = Draws(seed)
    # Zhao et al. 2021 (ICR), bCR: lambda_real ||D(x) - D(T(x))||^2
    # + lambda_fake ||D(G(z)) - D(T(G(z)))||^2, with lambda_real = lambda_fake = 10.
    real = _augmentation_distance(
        d_fn, real_images, labels, real_logits, augment_fn, draws.next_seed()
    )
    fake = _augmentation_distance(
        d_fn, fake_images, fake_labels, fake_logits, augment_fn, draws.next_seed()
    )
    return weight_real * real, weight_fake * fake


@gin.configurable(denylist=["seed"])  # each step passes its own seed
def perturb_latent(z, sigma=0.03, seed=None):
    """T(z) of zCR (`seed`: None for the global generator, or a seed of stateless draws)."""
    # Zhao et al. 2021 (ICR), zCR: T(z) = z + dz, dz ~ N(0, sigma^2 I), sigma = 0.03.
    return z + sigma * Draws(seed).normal(tf.shape(z), dtype=z.dtype)


@gin.configurable(denylist=["seed"])  # each step passes its own seed
def zcr_discriminator(d_fn, g_fn, z, labels=None, fake_logits=None, weight=5.0, seed=None):
    """zCR term of the D loss; pass `fake_logits` = D(G(z)) to reuse them. `seed` (None: the
    global generator) keys T(z)'s draws."""
    if fake_logits is None:
        fake_logits = d_fn(tf.stop_gradient(g_fn(z, labels)), labels)
    perturbed = perturb_latent(z, seed=seed)
    perturbed_logits = d_fn(tf.stop_gradient(g_fn(perturbed, labels)), labels)
    # Zhao et al. 2021 (ICR), zCR: lambda_dis ||D(G(z)) - D(G(T(z)))||^2, lambda_dis = 5.
    return weight * _mean_squared_distance(fake_logits, perturbed_logits)


@gin.configurable(denylist=["seed"])  # each step passes its own seed
def zcr_generator(g_fn, z, labels=None, fake_images=None, weight=0.5, seed=None):
    """zCR term of the G loss (negative: G is rewarded for outputs that differ).

    The paper writes a squared norm; like StudioGAN, the only public code, this averages the
    squared difference over pixels as well as samples, which keeps lambda_gen independent of the
    image size. `seed` (None: the global generator) keys T(z)'s draws.
    """
    if fake_images is None:
        fake_images = g_fn(z, labels)
    perturbed = g_fn(perturb_latent(z, seed=seed), labels)
    difference = tf.cast(fake_images, tf.float32) - tf.cast(perturbed, tf.float32)
    # Zhao et al. 2021 (ICR), zCR: -lambda_gen ||G(z) - G(T(z))||^2, lambda_gen = 0.5.
    return -weight * tf.reduce_mean(tf.square(difference))
