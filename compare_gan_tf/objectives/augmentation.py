"""Differentiable augmentation of everything D sees: DiffAugment (Zhao et al. 2020) and ADA.

Both act on NHWC float images in [-1, 1] with an independent draw per image, keep static shapes
and are built from gathers, masks and arithmetic, so they are differentiable with respect to the
images (G is trained through them), run inside tf.function and run under `strategy.run`, where
each replica draws its own parameters. Apply one transform to every image D sees: D(T(x)) and
D(T(G(z))) in D's step and D(T(G(z))) in G's step (Zhao et al. 2020, section 3; Karras et al.
2020, section 2). Augmenting the real images only teaches G the augmented distribution.

Randomness comes from the global generator (tf.random), or, with `seed` (an int or a [2] int
tensor), from stateless draws (`seeds`), so that a call is reproducible and XLA draws the same.

DiffAugment lives here; ADA's `AdaptiveAugment` in ada.py (re-exported here), its stages in
ada_pipelines.py, its geometric transforms in ada_transforms.py (`blit`, `scale` re-exported
here), its colour matrices in ada_color.py, and the colour operations both use in image_ops.py
(re-exported here).
"""

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.objectives.ada import ADA_TRANSFORMS, AdaptiveAugment
from compare_gan_tf.objectives.ada_transforms import blit, scale
from compare_gan_tf.objectives.consistency import translate
from compare_gan_tf.objectives.image_ops import (
    adjust_brightness,
    adjust_contrast,
    adjust_saturation,
    check_images,
)
from compare_gan_tf.objectives.seeds import Draws

__all__ = [
    "ADA_TRANSFORMS",
    "AdaptiveAugment",
    "DIFF_AUGMENT_POLICIES",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "blit",
    "cutout",
    "diff_augment",
    "scale",
]

DIFF_AUGMENT_POLICIES = ("color", "translation", "cutout")


def cutout(images, centres, size):
    """Zeroes a size[0] x size[1] rectangle of each image, clipped to the image.

    The rectangle of image i covers rows [r - size[0] // 2, r - size[0] // 2 + size[0]) and
    columns [c - size[1] // 2, c - size[1] // 2 + size[1]), with (r, c) = centres[i], as in the
    DiffAugment code; the part outside the image is dropped.

    Args:
      images: float [B, H, W, C].
      centres: int [B, 2], (row, column) of each rectangle's centre; may lie on the border.
      size: (height, width) of the rectangle, Python ints.
    """
    centres = tf.cast(centres, tf.int32)
    inside = []
    for axis, extent in ((1, size[0]), (2, size[1])):
        start = centres[:, axis - 1 : axis] - extent // 2
        positions = tf.range(images.shape[axis])[None, :]
        inside.append((positions >= start) & (positions < start + extent))
    covered = inside[0][:, :, None, None] & inside[1][:, None, :, None]
    return tf.where(covered, tf.zeros_like(images), images)


def _diff_color(images, draws):
    batch = tf.shape(images)[0]
    # Zhao et al. 2020 (DiffAugment code): b ~ U[-0.5, 0.5), s ~ U[0, 2), c ~ U[0.5, 1.5).
    images = adjust_brightness(images, draws.uniform([batch]) - 0.5)
    images = adjust_saturation(images, 2.0 * draws.uniform([batch]))
    return adjust_contrast(images, draws.uniform([batch]) + 0.5)


def _diff_translation(images, draws):
    batch = tf.shape(images)[0]
    offsets = []
    for size in (images.shape[1], images.shape[2]):
        # Zhao et al. 2020 (DiffAugment code, rand_translation): t ~ U{-S//8, ..., S//8}.
        limit = size // 8
        offsets.append(draws.uniform([batch], -limit, limit + 1, dtype=tf.int32))
    return translate(images, tf.stack(offsets, axis=1), padding="zeros")


def _diff_cutout(images, draws):
    batch = tf.shape(images)[0]
    size = (images.shape[1] // 2, images.shape[2] // 2)
    centres = []
    for extent, image_size in zip(size, images.shape[1:3]):
        # Zhao et al. 2020 (DiffAugment code, rand_cutout): centre ~ U{0, ..., S - (s mod 2)}.
        centres.append(draws.uniform([batch], 0, image_size + 1 - extent % 2, dtype=tf.int32))
    return cutout(images, tf.stack(centres, axis=1), size)


_DIFF_AUGMENT_FNS = {
    "color": _diff_color,
    "translation": _diff_translation,
    "cutout": _diff_cutout,
}


def _policy_names(policy):
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [name.strip() for name in names if name.strip()]
    for name in names:
        check_choice("DiffAugment policy", name, DIFF_AUGMENT_POLICIES)
    return names


@gin.configurable
def diff_augment(images, policy="color,translation,cutout", seed=None):
    """DiffAugment T(x) (Zhao et al. 2020): the policies in order, one draw per image.

    - color: brightness b ~ U[-0.5, 0.5) added, saturation (deviation from the pixel's channel
      mean) scaled by U[0, 2), contrast (deviation from the image mean) scaled by U[0.5, 1.5).
      Saturation does nothing to one-channel images.
    - translation: an integer shift in [-H // 8, H // 8] down and [-W // 8, W // 8] across,
      independently, with zero fill. The code shifts content by -t where `translate` shifts
      by +t; t is symmetric, so the distribution is the same.
    - cutout: a zeroed (H // 2) x (W // 2) rectangle (see `cutout`) whose centre row is uniform
      in {0, ..., H}, or {0, ..., H - 1} when H // 2 is odd, so that the rectangle overhangs
      each border equally often (likewise for columns); the overhang is dropped.

    The authors' code works on images in [-1, 1] (BigGAN's and StyleGAN2's range), the range
    used here, so its brightness range and its zero fill (mid grey) apply unchanged. The paper's
    default for small data is "color,translation,cutout"; the LeCam BigGAN CIFAR scripts use
    "translation,cutout".

    Args:
      images: float [B, H, W, C] with static H, W (any C). Cast to float32.
      policy: comma-separated names from "color", "translation", "cutout" (or a sequence of
        them); "" returns `images` unchanged, whatever their shape.
      seed: None for the global generator, or an int / [2] int tensor for stateless draws.

    Returns:
      float32 [B, H, W, C].
    """
    names = _policy_names(policy)
    if not names:
        return images
    images = tf.convert_to_tensor(images)
    check_images(images, "diff_augment", 'turn it off with policy="".')
    images = tf.cast(images, tf.float32)
    draws = Draws(seed)
    for name in names:
        images = _DIFF_AUGMENT_FNS[name](images, draws)
    return images
