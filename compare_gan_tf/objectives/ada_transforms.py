"""ADA's geometric transforms with given parameters (Karras et al. 2020, stylegan2-ada-pytorch's
training/augment.py): pixel blitting, and scaling, rotation, anisotropic scaling and fractional
translation as one affine resampling (`warp`).

Each function takes NHWC float images and one parameter per image, draws nothing and is
differentiable with respect to the images; `AdaptiveAugment` (ada.py) draws the parameters.

Affine maps are 3 x 3 homogeneous matrices over (row, column) positions measured from the image
centre ((H - 1) / 2, (W - 1) / 2), rows pointing down. They are inverse maps, as the reference's
G_inv: the output pixel at u reads the input at M u.
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


def _homogeneous(linear, offset):
    """[B, 3, 3] matrices from [B, 2, 2] linear parts and [B, 2] offsets."""
    top = tf.concat([linear, offset[:, :, None]], axis=2)
    bottom = tf.broadcast_to(tf.constant([[0.0, 0.0, 1.0]]), [tf.shape(linear)[0], 1, 3])
    return tf.concat([top, bottom], axis=1)


def scaling_inverse(row_factors, col_factors):
    """Inverse maps of content grown by row_factors[i] down and col_factors[i] across, [B, 3, 3]."""
    # Karras et al. 2020 (ADA code, scale2d_inv): diag(1 / s_x, 1 / s_y).
    factors = tf.stack([tf.cast(row_factors, tf.float32), tf.cast(col_factors, tf.float32)], 1)
    return _homogeneous(tf.linalg.diag(1.0 / factors), tf.zeros_like(factors))


def rotation_inverse(angles):
    """Inverse maps of content turned counter-clockwise (as displayed) by angles[i] radians."""
    angles = tf.cast(angles, tf.float32)[:, None, None]
    # Karras et al. 2020 (ADA code, rotate2d_inv(-theta)), in (row, column): the output at
    # (y, x) reads (y cos + x sin, -y sin + x cos); theta = pi / 2 is numpy's rot90.
    turn = tf.constant([[0.0, 1.0], [-1.0, 0.0]])
    linear = tf.cos(angles) * tf.eye(2) + tf.sin(angles) * turn
    return _homogeneous(linear, tf.zeros_like(linear[:, 0]))


def translation_inverse(offsets):
    """Inverse maps of content moved down by offsets[i, 0] and right by offsets[i, 1] pixels."""
    offsets = tf.cast(offsets, tf.float32)
    # Karras et al. 2020 (ADA code, translate2d_inv): u - t.
    linear = tf.broadcast_to(tf.eye(2), [tf.shape(offsets)[0], 2, 2])
    return _homogeneous(linear, -offsets)


def _bilinear(images, rows, cols):
    """Images read at float positions [B, h, w] by linear interpolation, mirrored beyond edges."""
    height, width = images.shape[1], images.shape[2]
    row_floor, col_floor = tf.floor(rows), tf.floor(cols)
    row_weight = (rows - row_floor)[..., None]
    col_weight = (cols - col_floor)[..., None]
    row_floor, col_floor = tf.cast(row_floor, tf.int32), tf.cast(col_floor, tf.int32)
    row_pair = (_reflect(row_floor, height), _reflect(row_floor + 1, height))
    col_pair = (_reflect(col_floor, width), _reflect(col_floor + 1, width))

    def read(row, col):
        return tf.gather_nd(images, tf.stack([row, col], axis=-1), batch_dims=1)

    top = read(row_pair[0], col_pair[0])
    top += col_weight * (read(row_pair[0], col_pair[1]) - top)
    bottom = read(row_pair[1], col_pair[0])
    bottom += col_weight * (read(row_pair[1], col_pair[1]) - bottom)
    return top + row_weight * (bottom - top)


def warp(images, inverse):
    """Image i resampled through the affine inverse map inverse[i] (see the module docstring).

    Linear interpolation at 2 x 2 sub-samples per output pixel (a quarter pixel either side of
    its centre), averaged, with the image mirrored (edge pixel not repeated) beyond its border:
    the resampling of `scale`, for any affine map. A difference from the reference, which
    upsamples 2x with a sym6 wavelet filter, samples bilinearly and downsamples with the same
    filter: gathers with linear weights keep static shapes, compile under XLA and give exact
    gradients without a separable FIR stage, at the cost of a slight blur ([1, 6, 1] / 8 along
    each axis even for the identity, so AdaptiveAugment only warps the images it transforms) and
    more aliasing when content shrinks by more than 2x. The reference pads by at most one
    mirrored copy and reads zeros beyond; here the mirroring repeats.

    Args:
      images: float [B, H, W, C].
      inverse: float [B, 3, 3]: the output pixel at (row, column) u from the centre reads the
        input at inverse[i] @ (u, 1).

    Returns:
      float32 [B, H, W, C].
    """
    images = tf.cast(images, tf.float32)
    height, width = images.shape[1], images.shape[2]
    centre = tf.constant([(height - 1) / 2.0, (width - 1) / 2.0])
    # Sub-sample positions from the centre: u - 1/4 and u + 1/4 along each axis.
    rows = (tf.range(2 * height, dtype=tf.float32) + 0.5) / 2.0 - 0.5 - centre[0]
    cols = (tf.range(2 * width, dtype=tf.float32) + 0.5) / 2.0 - 0.5 - centre[1]
    grid_rows, grid_cols = tf.meshgrid(rows, cols, indexing="ij")
    points = tf.stack([tf.reshape(grid_rows, [-1]), tf.reshape(grid_cols, [-1])])
    inverse = tf.cast(inverse, tf.float32)
    # Karras et al. 2020 (ADA code, affine_grid + grid_sample): each sub-sample reads G_inv u.
    source = tf.matmul(inverse[:, :2, :2], points) + inverse[:, :2, 2:] + centre[:, None]
    source = tf.reshape(source, [-1, 2, 2 * height, 2 * width])
    samples = _bilinear(images, source[:, 0], source[:, 1])
    blocks = tf.reshape(samples, [-1, height, 2, width, 2, tf.shape(images)[3]])
    return tf.reduce_mean(blocks, axis=[2, 4])


def rotate(images, angles):
    """ADA's arbitrary rotation about the image centre: content turns counter-clockwise (as
    displayed, rows down) by angles[i] radians; resampled by `warp`."""
    return warp(images, rotation_inverse(angles))


def scale_anisotropic(images, factors):
    """ADA's anisotropic scaling about the centre: content grows by factors[i] across (width)
    and shrinks by it down (height), area kept; resampled by `warp`."""
    factors = tf.cast(factors, tf.float32)
    # Karras et al. 2020 (ADA code, aniso): scale2d_inv(s, 1 / s), x across and y down.
    return warp(images, scaling_inverse(1.0 / factors, factors))


def translate_fractional(images, offsets):
    """ADA's fractional translation: content moves down by offsets[i, 0] and right by
    offsets[i, 1] pixels (any real numbers); resampled by `warp`."""
    return warp(images, translation_inverse(offsets))
