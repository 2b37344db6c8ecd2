"""Mode seeking regularization (Mao et al. 2019, MSGAN, eq. 3) for conditional generators.

Two latents z1, z2 with the same label should give images as far apart as the latents are;
G minimizes weight / (d_I(G(z1), G(z2)) / d_z(z1, z2) + eps), with mean absolute differences
for both distances (the reference DCGAN code's choice) and eps = 1e-5.
"""

import tensorflow as tf

EPSILON = 1e-5


def _halves(tensor):
    first, second = tf.split(tensor, 2, axis=0)
    return first, second


def pair_labels(labels):
    """Labels whose second half repeats the first, so sample i and i + B/2 share a class."""
    if labels is None:
        return None
    first, _ = _halves(labels)
    return tf.concat([first, first], axis=0)


def mode_seeking_term(fake_images, z, weight):
    """weight / (mean |G(z1) - G(z2)| / mean |z1 - z2| + eps) over the two halves of a batch."""
    images_1, images_2 = _halves(tf.cast(fake_images, tf.float32))
    z_1, z_2 = _halves(tf.cast(z, tf.float32))
    ratio = tf.reduce_mean(tf.abs(images_1 - images_2)) / tf.reduce_mean(tf.abs(z_1 - z_2))
    return weight / (ratio + EPSILON)
