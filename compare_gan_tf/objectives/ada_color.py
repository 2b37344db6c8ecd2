"""ADA's colour transforms as 4 x 4 matrices (Karras et al. 2020, stylegan2-ada-pytorch's
training/augment.py): brightness, contrast, luma flip, hue rotation, saturation.

A matrix C acts on homogeneous RGB colours (r, g, b, 1): each pixel's colour becomes C @ it.
The reference composes the drawn transforms into one matrix, in the order brightness,
contrast, luma flip, hue, saturation (C = S H L K B), and applies it once (`apply_color`).
The luma axis is v = (1, 1, 1) / sqrt(3): luma is the channel mean times sqrt(3).

Every function takes one parameter per image, draws nothing and is differentiable with
respect to the images.
"""

import numpy as np
import tensorflow as tf

# numpy, not tf constants: importing the module must not start TensorFlow's runtime.
_LUMA = np.full(3, 3.0**-0.5, np.float32)
_LUMA_PROJECTION = np.outer(_LUMA, _LUMA)  # v v^T
# Cross-product matrix of v: [v]_x w = v x w.
_LUMA_CROSS = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], np.float32) * np.float32(3.0**-0.5)


def _homogeneous(linear, offset):
    """[B, 4, 4] matrices from [B, 3, 3] linear parts and [B, 3] offsets."""
    top = tf.concat([linear, offset[:, :, None]], axis=2)
    bottom = tf.broadcast_to(tf.constant([[0.0, 0.0, 0.0, 1.0]]), [tf.shape(linear)[0], 1, 4])
    return tf.concat([top, bottom], axis=1)


def _column(values):
    return tf.cast(values, tf.float32)[:, None, None]


def _linear(part):
    """[B, 4, 4] matrices with the linear parts [B, 3, 3] and no offset."""
    return _homogeneous(part, tf.zeros_like(part[:, 0]))


def brightness_matrix(shifts):
    """Adds shifts[i] to every channel."""
    shifts = tf.cast(shifts, tf.float32)
    # Karras et al. 2020 (ADA code, brightness): translate3d(b, b, b).
    linear = tf.broadcast_to(tf.eye(3), [tf.shape(shifts)[0], 3, 3])
    return _homogeneous(linear, tf.broadcast_to(shifts[:, None], [tf.shape(shifts)[0], 3]))


def contrast_matrix(factors):
    """Multiplies every channel by factors[i] (about 0, mid grey in [-1, 1])."""
    # Karras et al. 2020 (ADA code, contrast): scale3d(c, c, c).
    return _linear(_column(factors) * tf.eye(3))


def luma_flip_matrix(flips):
    """Negates the luma component of image i where flips[i] is 1 (0: the identity)."""
    # Karras et al. 2020 (ADA code, lumaflip): the Householder reflection I - 2 v v^T i.
    return _linear(tf.eye(3) - 2.0 * _column(flips) * _LUMA_PROJECTION)


def hue_matrix(angles):
    """Turns colours about the luma axis by angles[i] radians (luma and chroma norm kept)."""
    angles = _column(angles)
    # Karras et al. 2020 (ADA code, rotate3d(v, theta)); Rodrigues' rotation formula:
    # R = cos I + sin [v]_x + (1 - cos) v v^T.
    cos, sin = tf.cos(angles), tf.sin(angles)
    return _linear(cos * tf.eye(3) + sin * _LUMA_CROSS + (1.0 - cos) * _LUMA_PROJECTION)


def saturation_matrix(factors):
    """Scales each colour's component orthogonal to the luma axis (its deviation from the
    channel mean) by factors[i]."""
    # Karras et al. 2020 (ADA code, saturation): v v^T + (I - v v^T) s, written
    # I + (s - 1)(I - v v^T) so that s = 1 is exactly I.
    return _linear(tf.eye(3) + (_column(factors) - 1.0) * (tf.eye(3) - _LUMA_PROJECTION))


def apply_color(images, matrices):
    """Each pixel's colour of image i mapped by matrices[i].

    An RGB pixel becomes C[:3, :3] @ rgb + C[:3, 3]. A one-channel value x is taken as grey
    (x, x, x) and becomes the mean of the three output channels, as the reference does: x times
    the mean row sum of C[:3, :3], plus the mean of C[:3, 3].

    Args:
      images: float [B, H, W, C] with C = 3 (RGB) or 1 (grey).
      matrices: float [B, 4, 4].

    Returns:
      float32 [B, H, W, C].
    """
    images = tf.cast(images, tf.float32)
    matrices = tf.cast(matrices, tf.float32)
    linear, offset = matrices[:, :3, :3], matrices[:, None, None, :3, 3]
    if images.shape[3] == 3:
        return tf.einsum("bij,bhwj->bhwi", linear, images) + offset
    if images.shape[3] == 1:
        # Karras et al. 2020 (ADA code): C = C[:, :3, :].mean(dim=1) for one channel.
        gain = tf.reduce_mean(tf.reduce_sum(linear, axis=2), axis=1)
        return images * gain[:, None, None, None] + tf.reduce_mean(offset, axis=-1, keepdims=True)
    raise ValueError(
        f"ADA's colour matrix needs RGB or one-channel images; got {images.shape[3]} channels. "
        'Use AdaptiveAugment.pipeline = "bgc_subset" (its colour transforms take any number).'
    )


def flip_luma(images, flips):
    """ADA's luma flip: image i with flips[i] = 1 has its luma negated, its chroma kept:
    x - 2 mean_c(x) for RGB. A one-channel image is all luma: it is negated."""
    return apply_color(images, luma_flip_matrix(flips))


def rotate_hue(images, angles):
    """ADA's hue rotation: each RGB colour of image i turns about the luma axis by angles[i]
    radians. One-channel images are returned unchanged (grey lies on the axis)."""
    if images.shape[3] == 1:
        return images
    return apply_color(images, hue_matrix(angles))
