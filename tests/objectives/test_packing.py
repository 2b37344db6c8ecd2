"""PacGAN packing against explicit per-sample concatenation (numpy)."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import pack, pack_labels


@pytest.mark.parametrize("m", [2, 3])
def test_images_pack_along_channels(m):
    images = np.random.default_rng(0).normal(size=(6, 4, 5, 3)).astype("float32")
    packed = pack(images, m).numpy()
    assert packed.shape == (6 // m, 4, 5, 3 * m)
    for group in range(6 // m):
        expected = np.concatenate([images[group * m + i] for i in range(m)], axis=-1)
        np.testing.assert_array_equal(packed[group], expected)
    reshaped = images.reshape(6 // m, m, 4, 5, 3).transpose(0, 2, 3, 1, 4).reshape(6 // m, 4, 5, -1)
    np.testing.assert_array_equal(packed, reshaped)


def test_points_pack_along_features():
    points = np.arange(16, dtype="float32").reshape(8, 2)
    packed = pack(points, 4).numpy()
    np.testing.assert_array_equal(packed, points.reshape(2, 8))
    np.testing.assert_array_equal(packed[1], [8, 9, 10, 11, 12, 13, 14, 15])
    np.testing.assert_array_equal(pack(points, 1), points)


def test_gradient_unpacks():
    images = tf.constant(np.random.default_rng(1).normal(size=(4, 3, 3, 2)).astype("float32"))
    weights = np.random.default_rng(2).normal(size=(2, 3, 3, 4)).astype("float32")
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(pack(images, 2) * weights)
    gradient = tape.gradient(loss, images).numpy()
    np.testing.assert_array_equal(gradient[1], weights[0][..., 2:])
    np.testing.assert_array_equal(gradient[2], weights[1][..., :2])


def test_clear_errors():
    with pytest.raises(ValueError, match="multiple of 3"):
        pack(np.zeros([10, 2], "float32"), 3)
    with pytest.raises(ValueError, match="positive int"):
        pack(np.zeros([4, 2], "float32"), 0)
    with pytest.raises(ValueError, match="rank >= 2"):
        pack(np.zeros([4], "float32"), 2)
    packed = tf.function(lambda x: pack(x, 3), input_signature=[tf.TensorSpec([None, 2])])
    assert packed(tf.zeros([9, 2])).shape == (3, 6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of m"):
        packed(tf.zeros([10, 2]))


def test_labels_must_be_constant_within_each_pack():
    np.testing.assert_array_equal(pack_labels([3, 3, 1, 1, 7, 7], 2), [3, 1, 7])
    with pytest.raises(tf.errors.InvalidArgumentError, match="same label for all samples"):
        pack_labels([3, 3, 1, 2], 2)
    with pytest.raises(ValueError, match="multiple of 2"):
        pack_labels([3, 3, 1], 2)
