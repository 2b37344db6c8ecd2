"""Partly labelled training data (S3GAN, Lucic et al. 2019): keep the labels of a fraction of
the examples and mark the others unlabelled with the label -1 (`UNLABELED`).

Which examples keep their label is decided by a keyed hash (`dataset.labeled_seed`) of each
prepared image and its label, so it depends on neither the order, the shuffling nor the
sharding of the examples: every input pipeline and every rerun marks the same examples. Each
example is kept with probability `fraction`, so the number kept is about fraction x N (for the
1,500 training digits at 0.1: 150, give or take 12).
"""

import tensorflow as tf

from compare_gan_tf.data.base import DatasetError

UNLABELED = -1
_BUCKETS = 2**31
# The second half of the hash key, so that labeled_seed 0 is not the all-zero key.
_KEY = 0x53334741


def check_labeled_fraction(fraction):
    """`fraction` as a float in [0, 1], or DatasetError."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        fraction = None
    if fraction is None or not 0.0 <= fraction <= 1.0:
        raise DatasetError(
            f"dataset.labeled_fraction must be a number in [0, 1] (the fraction of training "
            f"examples that keep their label); got {fraction!r}."
        )
    return float(fraction)


def keep_labels(dataset, fraction, seed):
    """`dataset` of (image, label) with the label of about `fraction` of the examples kept and
    the others set to -1; `dataset` itself when fraction is 1."""
    fraction = check_labeled_fraction(fraction)
    if fraction >= 1.0:
        return dataset
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DatasetError(f"dataset.labeled_seed must be an integer >= 0; got {seed!r}.")
    threshold = int(round(fraction * _BUCKETS))

    def mark(image, label):
        content = tf.strings.join(
            [tf.io.serialize_tensor(image), tf.io.serialize_tensor(tf.cast(label, tf.int64))]
        )
        bucket = tf.strings.to_hash_bucket_strong(content, _BUCKETS, key=[seed, _KEY])
        return image, tf.where(bucket < threshold, label, tf.cast(UNLABELED, label.dtype))

    return dataset.map(mark, num_parallel_calls=tf.data.AUTOTUNE)
