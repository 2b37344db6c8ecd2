"""The rotation task of self-supervised GANs (Chen et al. 2019, SSGAN; Lucic et al. 2019, S3GAN).

D's features of an image rotated by 0, 90, 180 or 270 degrees feed a 4-way linear head that
predicts the rotation. As in compare_gan (`gans/ssgan.py`, `gans/utils.py::rotate_images`), a
batch of B images becomes B + 3n: the batch itself, then the n chosen images rotated by 90,
then by 180, then by 270 degrees (counterclockwise, numpy's `np.rot90(x, k, axes=(1, 2))`).
The rotation loss reads the 4n logits of the chosen images: unrotated (label 0) and rotated
(labels 1, 2, 3), in compare_gan's label order `np.repeat(np.arange(4), n)`.

Which n images: compare_gan rotates the last n of each core's batch, so one device and four
replicas rotate different examples. Here they are spread evenly, examples floor((j + 1) B / n)
- 1 for j < n, which is the last one when n = 1 and the whole batch when n = B: R replicas of
B examples with n each choose exactly the examples that one device chooses in their R x B
batch with R x n, so a step does not depend on the number of replicas (the batch is shuffled,
so which examples are chosen does not matter otherwise).

Rotated images need no labels: D's features do not read them, and only the unrotated images'
GAN logits enter the losses (compare_gan computed the rotated images' logits too, with the real
labels for rotated fakes, and discarded them).
"""

import numpy as np
import tensorflow as tf

NUM_ROTATIONS = 4


def rotate_images(images, rotations=(1, 2, 3)):
    """[B, H, W, C] -> [len(rotations) * B, H, W, C]: the batch rotated by k x 90 degrees
    counterclockwise for each k of `rotations` in turn (np.rot90(images, k, axes=(1, 2)))."""
    return tf.concat([tf.image.rot90(images, k) for k in rotations], axis=0)


def chosen_indices(batch_size, count):
    """The `count` examples of a batch that the rotation task uses, spread evenly (see the
    module's docstring): floor((j + 1) * batch_size / count) - 1 for j < count."""
    return (np.arange(1, count + 1) * batch_size) // count - 1


def rotation_labels(count):
    """[0] * count + [1] * count + [2] * count + [3] * count (compare_gan's label order)."""
    return tf.constant(np.repeat(np.arange(NUM_ROTATIONS, dtype=np.int32), count))


def with_rotations(images, batch_size, count):
    """(the batch of `batch_size` images followed by `count` of them rotated by 90, 180 and 270
    degrees [B + 3 count], the indices of the 4 count examples of the rotation task in it, in
    label order)."""
    chosen = chosen_indices(batch_size, count)
    rotated = rotate_images(tf.gather(images, chosen))
    task = np.concatenate([chosen, batch_size + np.arange(3 * count)])
    return tf.concat([images, rotated], axis=0), task


def rotation_loss(logits, count):
    """(cross-entropy, accuracy) of the 4 count rotation logits [4 count, 4] in label order.

    compare_gan: -mean(sum(one_hot * log(softmax(logits) + 1e-10))). Here the exact
    log-softmax, which differs only where a probability is below about 1e-8.
    """
    labels = rotation_labels(count)
    logits = tf.cast(logits, tf.float32)
    entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, labels), tf.float32))
    return tf.reduce_mean(entropy), accuracy
