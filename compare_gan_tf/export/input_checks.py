"""In-graph checks of a hub module's inputs, run before any of the model's computation.

A loaded module runs only its saved graphs (no Python survives `tf.saved_model.save`), so each
check is a `tf.debugging.Assert` whose message names the argument, the expected shape and dtype,
and prints the shape that was given; the caller sees it as `tf.errors.InvalidArgumentError`.
The inputs reach the model through a `tf.cond` on the checks: the runtime infers shapes from the
actual inputs before running a graph, and a wrong shape must meet the message, not TensorFlow's
"Dimensions must be equal".
"""

import tensorflow as tf

# The most examples one call generates or scores. Two million at once were measured to kill the
# process (SIGSEGV); a few thousand 32 px images take well under a gigabyte. Loop for more.
MAX_BATCH_SIZE = 4096
# The dtypes each argument accepts (a concrete function is saved for each); values are
# converted to float32 z and int32 labels. These are numpy's and Python's defaults and halves.
Z_DTYPES = (tf.float32, tf.float64, tf.float16, tf.int32, tf.int64)
LABEL_DTYPES = (tf.int32, tf.int64)
IMAGE_DTYPES = (tf.float32, tf.float64)


def _padded_shape(tensor, rank):
    """tf.shape(tensor) padded with zeros to at least `rank` entries, so indexing never fails."""
    return tf.concat([tf.shape(tensor), tf.zeros([rank], tf.int32)], 0)


def _rank_is(tensor, rank):
    return tf.equal(tf.rank(tensor), rank)


def _assert(condition, message, tensor):
    """An Assert that prints `message`, then the given dtype and shape."""
    given = f"(given {tensor.dtype.name} with shape)"
    return tf.debugging.Assert(condition, [message, given, tf.shape(tensor)], summarize=8)


def _batch_check(name, batch):
    return tf.debugging.Assert(
        tf.less_equal(batch, MAX_BATCH_SIZE),
        [
            f"{name} holds more than MAX_BATCH_SIZE = {MAX_BATCH_SIZE} examples; call the "
            "module in batches of at most that many (given batch)",
            batch,
        ],
    )


def _passed(checks, ok, tensor, fallback):
    """`tensor` once `checks` ran, routed through a cond so shape inference cannot fail first."""
    with tf.control_dependencies(checks):
        return tf.cond(ok, lambda: tensor, lambda: fallback)


def checked_z(z, z_dim):
    """z as float32 [batch, z_dim] after checking its shape, batch size and finiteness."""
    shape = _padded_shape(z, 2)
    expected = f"z must have shape [batch, {z_dim}], any float or int dtype"
    shape_ok = tf.logical_and(_rank_is(z, 2), tf.equal(shape[1], z_dim))
    checks = [_assert(shape_ok, expected, z), _batch_check("z", shape[0])]
    z = tf.cast(z, tf.float32)
    finite = tf.reduce_all(tf.math.is_finite(z))
    checks.append(
        tf.debugging.Assert(
            finite, ["z must be finite; it holds NaN or infinite values (as float32)"]
        )
    )
    ok = tf.logical_and(tf.logical_and(shape_ok, finite), shape[0] <= MAX_BATCH_SIZE)
    z = _passed(checks, ok, z, tf.zeros([0, z_dim]))
    return tf.reshape(z, [-1, z_dim])


def checked_labels(labels, batch_size, num_classes):
    """labels as int32 [batch] after checking their shape, count and range."""
    valid = f"labels must be int class ids in [0, {num_classes}), shape [batch]"
    shape_ok = tf.logical_and(_rank_is(labels, 1), tf.equal(tf.size(labels), batch_size))
    # The range is checked in the given dtype: int64 ids past 2**31 must not wrap into range.
    in_range = tf.logical_and(
        tf.reduce_all(labels >= 0), tf.reduce_all(labels < tf.cast(num_classes, labels.dtype))
    )
    checks = [
        tf.debugging.Assert(
            shape_ok,
            [
                f"{valid}, one class id per example (given {labels.dtype.name} with shape)",
                tf.shape(labels),
                "(batch)",
                batch_size,
            ],
            summarize=8,
        ),
        tf.debugging.Assert(in_range, [f"{valid} (given ids from, to)", *_extremes(labels)]),
    ]
    ok = tf.logical_and(shape_ok, in_range)
    labels = _passed(checks, ok, tf.cast(labels, tf.int32), tf.zeros([0], tf.int32))
    return tf.reshape(labels, [-1])


def _extremes(labels):
    if labels.shape.rank == 0:
        return [labels, labels]
    empty = tf.equal(tf.size(labels), 0)
    low = tf.cond(empty, lambda: tf.zeros([], labels.dtype), lambda: tf.reduce_min(labels))
    high = tf.cond(empty, lambda: tf.zeros([], labels.dtype), lambda: tf.reduce_max(labels))
    return [low, high]


def checked_images(images, size, channels):
    """images as float32 [batch, size, size, channels] in [0, 1] after checking shape and range.

    `channels` is what the model reads; the other of 1 and 3 is converted: RGB to gray by the
    mean of the channels (a generator's gray images are tiled, so this recovers them exactly),
    gray to RGB by tiling.
    """
    shape = _padded_shape(images, 4)
    expected = f"images must have shape [batch, {size}, {size}, 1 or 3], float"
    shape_ok = tf.logical_and(
        _rank_is(images, 4), tf.reduce_all(tf.equal(shape[1:3], [size, size]))
    )
    shape_check = _assert(shape_ok, expected, images)
    images = tf.cast(images, tf.float32)
    in_range = tf.logical_and(tf.reduce_all(images >= 0.0), tf.reduce_all(images <= 1.0))
    checks = [
        shape_check,
        _batch_check("images", shape[0]),
        tf.debugging.Assert(
            in_range,
            ["images must be in [0, 1] (NaN is not); divide uint8 images by 255"],
        ),
    ]
    given = images.shape[-1]
    ok = tf.logical_and(tf.logical_and(shape_ok, in_range), shape[0] <= MAX_BATCH_SIZE)
    images = _passed(checks, ok, images, tf.zeros([0, size, size, given]))
    images = tf.reshape(images, [-1, size, size, given])
    if given == channels:
        return images
    if channels == 1:
        return tf.reduce_mean(images, axis=-1, keepdims=True)
    return tf.tile(images, [1, 1, 1, 3])
