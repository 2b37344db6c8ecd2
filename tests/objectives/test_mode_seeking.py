"""Mode seeking regularization (MSGAN) against its formula, and its pairing of labels."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import GANObjective
from compare_gan_tf.objectives.mode_seeking import EPSILON, mode_seeking_term, pair_labels


def test_term_matches_the_formula():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(6, 4, 4, 1)).astype("float32")
    z = rng.normal(size=(6, 5)).astype("float32")
    # Mao et al. 2019, eq. 3: d_I(G(z1), G(z2)) / d_z(z1, z2), both mean absolute differences.
    ratio = np.abs(images[:3] - images[3:]).mean() / np.abs(z[:3] - z[3:]).mean()
    expected = 2.0 / (ratio + EPSILON)
    np.testing.assert_allclose(mode_seeking_term(images, z, 2.0), expected, rtol=1e-5)


def test_the_term_falls_as_paired_images_move_apart():
    z = tf.constant([[0.0], [1.0]])
    near = mode_seeking_term(tf.constant([[0.0], [0.1]]), z, 1.0)
    far = mode_seeking_term(tf.constant([[0.0], [0.5]]), z, 1.0)
    assert float(far) == pytest.approx(1 / (0.5 + EPSILON)) and float(far) < float(near)


def test_pair_labels_repeats_the_first_half():
    labels = tf.constant([3, 1, 4, 1, 5, 9])
    np.testing.assert_array_equal(pair_labels(labels), [3, 1, 4, 3, 1, 4])
    assert pair_labels(None) is None


def test_generator_loss_pairs_labels_and_adds_the_term():
    seen = {}

    def g_fn(z, labels):
        seen["labels"] = labels.numpy()
        return tf.concat([z, z**2], axis=1)  # a fixed "generator" of 2-d outputs per latent

    def d_fn(images, labels):
        return tf.zeros([tf.shape(images)[0], 1])

    z = tf.constant([[0.0], [1.0], [3.0], [-1.0]])
    labels = tf.constant([7, 2, 5, 5])
    objective = GANObjective(mode_seeking_weight=0.5)
    loss, parts = objective.generator_loss(d_fn, g_fn, z, labels)
    np.testing.assert_array_equal(seen["labels"], [7, 2, 7, 2])
    images = np.array([[0, 0], [1, 1], [3, 9], [-1, 1]], "float32")
    ratio = np.abs(images[:2] - images[2:]).mean() / np.abs([[-3.0], [2.0]]).mean()
    np.testing.assert_allclose(parts["mode_seeking"], 0.5 / (ratio + EPSILON), rtol=1e-5)
    np.testing.assert_allclose(loss, parts["g_loss_fake"] + parts["mode_seeking"], rtol=1e-6)


@pytest.mark.parametrize("weight", [-1.0, "1", True])
def test_a_bad_weight_is_refused(weight):
    with pytest.raises(ValueError, match="GANObjective.mode_seeking_weight must be a number"):
        GANObjective(mode_seeking_weight=weight)
