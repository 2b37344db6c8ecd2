"""ADA's transforms with given parameters (Karras et al. 2020, stylegan2-ada-pytorch's
training/augment.py): pixel blitting and isotropic scaling.

Each function takes NHWC float images and one parameter per image, draws nothing and is
differentiable with respect to the images; `AdaptiveAugment` (ada.py) draws the parameters.
"""

import tensorflow as tf


def _reflect(indices, size):
    """Mirror index (the edge pixel not repeated) of any integer index along an axis of `size`."""
    if size == 1:
        return tf.zeros_like(indices)
    folded = tf.math.floormod(indices, 2 * (size - 1))
    return (size - 1) - tf.abs((size - 1) - folded)


def _rotated_source(rows, cols, turns, last):
    """Input (row, column) read by output (rows, cols) after turning by 90 * turns degrees."""
    # numpy rot90 by k = 1, 2, 3: out[i, j] = in[j, n-1-i], in[n-1-i, n-1-j], in[n-1-j, i].
    candidate_rows = (rows, cols, last - rows, last - cols)
    candidate_cols = (cols, last - rows, last - cols, rows)
    source_rows, source_cols = rows, cols
    for k in (1, 2, 3):
        source_rows = tf.where(turns == k, candidate_rows[k], source_rows)
        source_cols = tf.where(turns == k, candidate_cols[k], source_cols)
    return source_rows, source_cols


def blit(images, flips=None, rotations=None, offsets=None):
    """ADA's pixel blitting: x-flip, then a rotation by a multiple of 90 degrees, then a shift.

    Pixels move exactly (one gather); pixels brought in from outside the image are mirrored
    copies (the edge pixel not repeated), as ADA pads by reflection.

    Args:
      images: float [B, H, W, C]; square if `rotations` is given.
      flips: int or bool [B], or None; non-zero mirrors image i left-right.
      rotations: int [B], or None; image i turns by 90 * rotations[i] degrees
        counter-clockwise (numpy's rot90 over the height and width axes).
      offsets: int [B, 2], or None; image i then moves down by offsets[i, 0] and right by
        offsets[i, 1] pixels.

    Returns:
      [B, H, W, C], the dtype of `images`.
    """
    height, width = images.shape[1], images.shape[2]
    if rotations is not None and height != width:
        raise ValueError(
            f"90-degree rotations need square images; got {height}x{width}. Pass no rotations "
            "(AdaptiveAugment: rotate90=0)."
        )
    batch = tf.shape(images)[0]
    rows = tf.broadcast_to(tf.range(height)[None, :, None], [batch, height, width])
    cols = tf.broadcast_to(tf.range(width)[None, None, :], [batch, height, width])
    # Each output pixel reads the input pixel found by undoing the shift, the turn, the flip.
    if offsets is not None:
        offsets = tf.cast(offsets, tf.int32)
        rows = _reflect(rows - offsets[:, 0, None, None], height)
        cols = _reflect(cols - offsets[:, 1, None, None], width)
    if rotations is not None:
        turns = tf.math.floormod(tf.cast(rotations, tf.int32), 4)[:, None, None]
        rows, cols = _rotated_source(rows, cols, turns, height - 1)
    if flips is not None:
        mirrored = tf.cast(flips, tf.int32)[:, None, None] != 0
        cols = tf.where(mirrored, width - 1 - cols, cols)
    return tf.gather_nd(images, tf.stack([rows, cols], axis=-1), batch_dims=1)


def _scale_axis(images, factors, axis):
    """`scale` along one spatial axis (1: rows, 2: columns)."""
    size = images.shape[axis]
    centre = (size - 1) / 2.0
    # Two sub-samples per output pixel, a quarter pixel either side of its centre.
    samples = (tf.range(2 * size, dtype=tf.float32) + 0.5) / 2.0 - 0.5
    # Karras et al. 2020 (ADA code, scale_2d_inv): output position u reads c + (u - c) / s.
    source = centre + (samples[None, :] - centre) / factors[:, None]
    lower = tf.floor(source)
    weights = source - lower
    lower = tf.cast(lower, tf.int32)
    below = tf.gather(images, _reflect(lower, size), axis=axis, batch_dims=1)
    above = tf.gather(images, _reflect(lower + 1, size), axis=axis, batch_dims=1)
    weight_shape = [-1, 1, 1, 1]
    weight_shape[axis] = 2 * size
    mixed = below + tf.reshape(weights, weight_shape) * (above - below)
    channels = images.shape[3] if images.shape[3] is not None else tf.shape(images)[3]
    pairs = [-1, images.shape[1], images.shape[2], channels]
    pairs.insert(axis + 1, 2)
    pairs[axis] = size
    return tf.reduce_mean(tf.reshape(mixed, pairs), axis=axis + 1)


def scale(images, factors):
    """ADA's isotropic scaling about the image centre: the content grows by factors[i].

    Linear interpolation at 2 x 2 sub-samples per output pixel, averaged (light anti-aliasing,
    after ADA's resampling at twice the resolution), with mirrored pixels beyond the border.
    Even a factor of 1 blurs slightly, by [1, 6, 1] / 8 along each axis, so AdaptiveAugment only
    passes the images drawn for scaling through it.

    Args:
      images: float [B, H, W, C].
      factors: float [B], positive.

    Returns:
      float [B, H, W, C].
    """
    factors = tf.cast(factors, tf.float32)
    return _scale_axis(_scale_axis(images, factors, axis=1), factors, axis=2)
