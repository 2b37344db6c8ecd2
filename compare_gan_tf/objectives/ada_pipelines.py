"""The stages of ADA's pipelines (Karras et al. 2020, stylegan2-ada-pytorch's
training/augment.py, AugmentPipe.forward): each draws its parameters, gates every transform per
image with probability multiplier * p and applies the drawn transforms.

`multipliers` maps every bgc transform to its probability multiplier (0: off, no draws);
`draws` is a `seeds.Draws`, whose numbering follows the order of the draws here, so the order
is part of what a seed reproduces.
"""

import math

import tensorflow as tf

from compare_gan_tf.objectives import ada_color
from compare_gan_tf.objectives.ada_transforms import (
    blit,
    rotation_inverse,
    scale,
    scaling_inverse,
    translation_inverse,
    warp,
)
from compare_gan_tf.objectives.image_ops import adjust_brightness, adjust_saturation, per_sample

_GEOMETRIC = ("scale", "rotate", "aniso", "rotate", "xfrac")  # rotate before and after aniso
_COLOR_MATRICES = {
    "brightness": ada_color.brightness_matrix,
    "contrast": ada_color.contrast_matrix,
    "lumaflip": ada_color.luma_flip_matrix,
    "hue": ada_color.hue_matrix,
    "saturation": ada_color.saturation_matrix,
}


def _chosen(draws, batch, probability):
    """Boolean [B]: the images that get a transform drawn with `probability`."""
    return draws.uniform([batch]) < probability


def _sizes(images):
    return tf.constant([images.shape[1], images.shape[2]], tf.float32)


def blit_stage(images, draws, multipliers, p):
    """x-flip, 90-degree rotations and integer translation, moving pixels exactly (`blit`)."""
    batch = tf.shape(images)[0]
    flips = rotations = offsets = None
    if multipliers["xflip"] > 0:
        # Karras et al. 2020 (ADA code, xflip): i ~ U{0, 1}, gated by p.
        flip = draws.uniform([batch], 0, 2, dtype=tf.int32)
        flips = tf.where(_chosen(draws, batch, multipliers["xflip"] * p), flip, 0)
    if multipliers["rotate90"] > 0:
        # Karras et al. 2020 (ADA code, rotate90): k ~ U{0, 1, 2, 3}, gated by p.
        turn = draws.uniform([batch], 0, 4, dtype=tf.int32)
        rotations = tf.where(_chosen(draws, batch, multipliers["rotate90"] * p), turn, 0)
    if multipliers["translation"] > 0:
        # Karras et al. 2020 (ADA code, xint): t = rint(U(-1/8, 1/8) * size), gated by p.
        shift = tf.math.rint(draws.uniform([batch, 2], -0.125, 0.125) * _sizes(images))
        chosen = _chosen(draws, batch, multipliers["translation"] * p)
        offsets = tf.where(chosen[:, None], tf.cast(shift, tf.int32), 0)
    if flips is None and rotations is None and offsets is None:
        return images
    return blit(images, flips, rotations, offsets)


def subset_stage(images, draws, multipliers, p):
    """The rest of "bgc_subset": `scale`, then brightness, contrast and saturation in turn."""
    batch = tf.shape(images)[0]
    if multipliers["scale"] > 0:
        # Karras et al. 2020 (ADA code, scale): s = 2^N(0, 0.2^2), gated by p.
        factors = 2.0 ** draws.normal([batch], 0.2)
        chosen = _chosen(draws, batch, multipliers["scale"] * p)
        images = tf.where(chosen[:, None, None, None], scale(images, factors), images)
    if multipliers["brightness"] > 0:
        # Karras et al. 2020 (ADA code, brightness): b ~ N(0, 0.2^2), gated by p.
        shifts = draws.normal([batch], 0.2)
        chosen = _chosen(draws, batch, multipliers["brightness"] * p)
        images = adjust_brightness(images, tf.where(chosen, shifts, 0.0))
    if multipliers["contrast"] > 0:
        # Karras et al. 2020 (ADA code, contrast): x' = c x, c = 2^N(0, 0.5^2), gated by p.
        factors = 2.0 ** draws.normal([batch], 0.5)
        chosen = _chosen(draws, batch, multipliers["contrast"] * p)
        images = images * per_sample(tf.where(chosen, factors, 1.0))
    if multipliers["saturation"] > 0 and images.shape[3] != 1:
        # Karras et al. 2020 (ADA code, saturation): s = 2^N(0, 1), gated by p.
        factors = 2.0 ** draws.normal([batch], 1.0)
        chosen = _chosen(draws, batch, multipliers["saturation"] * p)
        images = adjust_saturation(images, tf.where(chosen, factors, 1.0))
    return images


def _geometric_step(transform, values, chosen):
    """The inverse map [B, 3, 3] of one geometric transform (the identity where not chosen)."""
    if transform == "xfrac":
        return translation_inverse(tf.where(chosen[:, None], values, 0.0))
    if transform == "rotate":
        return rotation_inverse(tf.where(chosen, values, 0.0))
    factors = tf.where(chosen, values, 1.0)
    # Karras et al. 2020 (ADA code): scale2d_inv(s, s) and, for aniso, scale2d_inv(s, 1 / s).
    return scaling_inverse(factors if transform == "scale" else 1.0 / factors, factors)


def geometric_stage(images, draws, multipliers, p):
    """bgc's scale, rotate, aniso, rotate, xfrac composed as the code's G_inv, warped once."""
    if not any(multipliers[transform] > 0 for transform in _GEOMETRIC):
        return images
    batch = tf.shape(images)[0]
    inverse = tf.eye(3, batch_shape=[batch])
    drawn = tf.zeros([batch], tf.bool)
    # Karras et al. 2020 (ADA code): p_rot = 1 - sqrt(1 - rotate * p), so P(pre or post) = p.
    p_rot = 1.0 - tf.sqrt(tf.clip_by_value(1.0 - multipliers["rotate"] * p, 0.0, 1.0))
    for transform in _GEOMETRIC:
        if multipliers[transform] <= 0:
            continue
        if transform == "xfrac":
            # Karras et al. 2020 (ADA code, xfrac): t ~ N(0, (size / 8)^2) on each axis.
            values = draws.normal([batch, 2], 0.125) * _sizes(images)
        elif transform == "rotate":
            # Karras et al. 2020 (ADA code, rotate): theta ~ U(-pi, pi).
            values = draws.uniform([batch], -math.pi, math.pi)
        else:
            # Karras et al. 2020 (ADA code, scale and aniso): s = 2^N(0, 0.2^2).
            values = 2.0 ** draws.normal([batch], 0.2)
        probability = p_rot if transform == "rotate" else multipliers[transform] * p
        chosen = _chosen(draws, batch, probability)
        drawn |= chosen
        # Karras et al. 2020 (ADA code): G_inv = G_inv @ step.
        inverse = tf.matmul(inverse, _geometric_step(transform, values, chosen))
    return tf.where(drawn[:, None, None, None], warp(images, inverse), images)


def _color_values(transform, draws, batch):
    """A colour transform's drawn parameters [B] and its identity value."""
    if transform == "brightness":
        # Karras et al. 2020 (ADA code, brightness): b ~ N(0, 0.2^2).
        return draws.normal([batch], 0.2), 0.0
    if transform == "lumaflip":
        # Karras et al. 2020 (ADA code, lumaflip): i ~ U{0, 1}.
        return tf.cast(draws.uniform([batch], 0, 2, dtype=tf.int32), tf.float32), 0.0
    if transform == "hue":
        # Karras et al. 2020 (ADA code, hue): theta ~ U(-pi, pi).
        return draws.uniform([batch], -math.pi, math.pi), 0.0
    # Karras et al. 2020 (ADA code, contrast and saturation): c = 2^N(0, 0.5^2), s = 2^N(0, 1).
    std = 0.5 if transform == "contrast" else 1.0
    return 2.0 ** draws.normal([batch], std), 1.0


def color_stage(images, draws, multipliers, p):
    """bgc's brightness, contrast, lumaflip, hue, saturation composed as the code's 4 x 4 C.

    Hue and saturation are skipped for one channel, as in the code (grey lies on their axis).
    """
    grey = images.shape[3] == 1
    active = [
        transform
        for transform in _COLOR_MATRICES
        if multipliers[transform] > 0 and not (grey and transform in ("hue", "saturation"))
    ]
    if not active:
        return images
    batch = tf.shape(images)[0]
    color = tf.eye(4, batch_shape=[batch])
    drawn = tf.zeros([batch], tf.bool)
    for transform in active:
        values, identity = _color_values(transform, draws, batch)
        chosen = _chosen(draws, batch, multipliers[transform] * p)
        drawn |= chosen
        # Karras et al. 2020 (ADA code): C = step @ C.
        step = _COLOR_MATRICES[transform](tf.where(chosen, values, identity))
        color = tf.matmul(step, color)
    return tf.where(drawn[:, None, None, None], ada_color.apply_color(images, color), images)
