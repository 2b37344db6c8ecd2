"""2-D mixtures: centres, per-mode means and stds, and the mode statistics."""

import itertools

import numpy as np
import tensorflow as tf

from compare_gan_tf.data import GRID25, RING8, dataset_info, make_dataset, mode_statistics
from compare_gan_tf.data.gaussian_mixtures import sample_mixture


def test_ring8_centres_lie_on_radius_2_every_45_degrees():
    angles = np.arctan2(RING8.centres[:, 1], RING8.centres[:, 0])
    np.testing.assert_allclose(np.hypot(*RING8.centres.T), 2.0, atol=1e-6)
    np.testing.assert_allclose(np.mod(angles, 2 * np.pi), np.arange(8) * np.pi / 4, atol=1e-6)
    assert RING8.std == 0.02


def test_grid25_centres_are_the_5x5_grid_from_minus_4_to_4():
    expected = sorted(itertools.product(range(-4, 5, 2), repeat=2))
    assert sorted(map(tuple, GRID25.centres.astype(int).tolist())) == expected
    assert GRID25.std == 0.05


def test_sample_means_and_stds_per_mode_match_the_definition():
    for mixture in (RING8, GRID25):
        n = 50000
        points, modes = sample_mixture(mixture, n, tf.constant([1, 2], tf.int64))
        points, modes = points.numpy(), modes.numpy()
        counts = np.bincount(modes, minlength=mixture.num_modes)
        # Equal weights: every count within 5 binomial standard deviations of n / K.
        p = 1.0 / mixture.num_modes
        assert np.all(np.abs(counts - n * p) < 5 * np.sqrt(n * p * (1 - p)))
        for k in range(mixture.num_modes):
            mode_points = points[modes == k]
            standard_error = mixture.std / np.sqrt(len(mode_points))
            np.testing.assert_allclose(
                mode_points.mean(axis=0), mixture.centres[k], atol=5 * standard_error
            )
            # The std of a sample std is about std / sqrt(2 m).
            np.testing.assert_allclose(
                mode_points.std(axis=0), mixture.std, rtol=5 / np.sqrt(2 * len(mode_points))
            )


def test_high_quality_fraction_of_true_samples_is_the_chi2_probability():
    points, modes = sample_mixture(RING8, 40000, tf.constant([3, 4], tf.int64))
    stats = mode_statistics(points.numpy(), RING8)
    # |x - mu| / std ~ chi with 2 degrees of freedom: P(r < 3) = 1 - exp(-9 / 2).
    expected = 1 - np.exp(-4.5)
    assert abs(stats["high_quality_fraction"] - expected) < 5 * np.sqrt(
        expected * (1 - expected) / 40000
    )
    assert stats["modes_recovered"] == 8
    np.testing.assert_array_equal(stats["nearest_mode"], modes.numpy())


def test_collapsed_and_off_mode_samples():
    collapsed = np.tile(GRID25.centres[7], (100, 1))
    stats = mode_statistics(collapsed, GRID25)
    assert stats["modes_recovered"] == 1 and stats["counts"][7] == 100
    # Halfway between two grid modes: 20 stds from both, never high quality.
    between = np.array([[1.0, 0.0], [-3.0, 2.0]])
    stats = mode_statistics(between, GRID25)
    assert stats["modes_recovered"] == 0 and stats["high_quality_fraction"] == 0.0


def test_dataset_yields_points_with_mode_labels():
    points, labels = next(iter(make_dataset("ring8", "train", 256)))
    assert points.shape == (256, 2) and points.dtype == tf.float32
    assert labels.shape == (256,) and labels.dtype == tf.int32
    distances = np.linalg.norm(points.numpy()[:, None] - RING8.centres[None], axis=-1)
    np.testing.assert_array_equal(distances.argmin(axis=1), labels.numpy())
    info = dataset_info("grid25")
    assert info.shape == (2,) and info.num_classes == 25 and info.resolution is None
    assert info.num_examples == {"train": None, "eval": 2500}


def test_train_stream_follows_the_seed_and_eval_set_is_fixed():
    def first(split, seed):
        return next(iter(make_dataset("grid25", split, 64, seed=seed, shuffle=False)))[0].numpy()

    np.testing.assert_array_equal(first("train", 1), first("train", 1))
    assert not np.allclose(first("train", 1), first("train", 2))
    np.testing.assert_array_equal(first("eval", 1), first("eval", 2))
    batches = list(make_dataset("grid25", "eval", 1000, shuffle=False, repeat=False))
    assert [len(b[0]) for b in batches] == [1000, 1000, 500]
