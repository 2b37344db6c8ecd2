"""PacGAN packing (Lin et al. 2018): D judges m samples at once, all real or all fake.

m consecutive samples of a batch are concatenated along the last axis, images along their
channels and points along their features, so D sees B / m packed examples with m times as many
channels. The authors' code (fjxmlzn/PacGAN) concatenates m independently drawn batches, which
for i.i.d. samples has the same distribution as grouping consecutive ones. The paper uses
m = 2 to 4.

A pack mixes samples of different classes unless the batch was drawn with a constant label per
pack, so `pack_labels` accepts labels only in that case and returns one per pack; for a
conditional D, draw the labels (of reals and of fakes) that way or pack for an unconditional D.
"""

import tensorflow as tf


def _check_packing(tensor, m, what):
    """Static checks of `m` and of the batch size; returns the batch size (a tensor) and m."""
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"The packing degree m must be a positive int; got {m!r}.")
    if tensor.shape.rank is None or tensor.shape.rank < 1:
        raise ValueError(f"Packing needs {what} with a batch axis; got shape {tensor.shape}.")
    batch = tensor.shape[0]
    if batch is not None and batch % m:
        raise ValueError(
            f"PacGAN packs groups of m={m} samples, but the batch has {batch} {what}. Use a "
            f"batch size (per replica) that is a multiple of {m}."
        )
    return tf.shape(tensor)[0]


def _assert_divisible(batch, m, what):
    """Runtime check for batches whose size is only known when the graph runs."""
    return tf.debugging.assert_equal(
        tf.math.floormod(batch, m),
        0,
        message=f"PacGAN packs groups of m={m} {what}; use a batch size that is a multiple of m.",
    )


def pack(samples, m=2):
    """Groups m consecutive samples along the last axis.

    [B, H, W, C] -> [B / m, H, W, m * C] and [B, D] -> [B / m, m * D]: packed example i holds
    samples m*i, ..., m*i + m - 1 in that order, the channels (features) of sample m*i first.

    Args:
      samples: [B, ...] tensor of rank >= 2 (images NHWC, or points [B, D]).
      m: packing degree (2 in the paper's PacGAN2; 1 returns `samples` unchanged).

    Returns:
      [B / m, ..., m * last] tensor of the same dtype.

    Raises:
      ValueError: m is not a positive int, or a static batch size is not divisible by m.
    """
    samples = tf.convert_to_tensor(samples)
    if samples.shape.rank is not None and samples.shape.rank < 2:
        raise ValueError(
            f"pack needs samples [B, ..., channels] of rank >= 2; got shape {samples.shape}."
        )
    batch = _check_packing(samples, m, "samples")
    if m == 1:
        return samples
    with tf.control_dependencies([_assert_divisible(batch, m, "samples")]):
        inner = tf.shape(samples)[1:]
        # Lin et al. 2018: the packed D sees (x_1, ..., x_m) concatenated along the last axis.
        grouped = tf.reshape(samples, tf.concat([[batch // m, m], inner], axis=0))
        rank = samples.shape.rank + 1
        # [B/m, m, ..., C] -> [B/m, ..., m, C], then m and C merge into one axis.
        order = [0] + list(range(2, rank - 1)) + [1, rank - 1]
        moved = tf.transpose(grouped, order)
        packed_shape = tf.concat([[batch // m], inner[:-1], [m * inner[-1]]], axis=0)
        packed = tf.reshape(moved, packed_shape)
    static = samples.shape.as_list()
    static[0] = None if static[0] is None else static[0] // m
    static[-1] = None if static[-1] is None else static[-1] * m
    return tf.ensure_shape(packed, static)


def pack_labels(labels, m=2):
    """One label per pack, for batches drawn with the same label throughout each pack.

    Args:
      labels: int [B] labels of the samples given to `pack`.
      m: packing degree, as given to `pack`.

    Returns:
      int [B / m]: the label of each pack (that of its first sample).

    Raises:
      ValueError: m is not a positive int, or a static batch size is not divisible by m.
      tf.errors.InvalidArgumentError: a pack holds samples of different labels.
    """
    labels = tf.convert_to_tensor(labels)
    batch = _check_packing(labels, m, "labels")
    if m == 1:
        return labels
    with tf.control_dependencies([_assert_divisible(batch, m, "labels")]):
        grouped = tf.reshape(labels, [-1, m])
    check = tf.debugging.assert_equal(
        grouped,
        grouped[:, :1],
        message=(
            "PacGAN with labels needs the same label for all samples of a pack; draw labels "
            "constant over each group of m consecutive samples, or use an unconditional D."
        ),
    )
    with tf.control_dependencies([check]):
        return tf.identity(grouped[:, 0])
