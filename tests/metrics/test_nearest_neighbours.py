"""Improved precision/recall and density/coverage against full distance matrices (scipy cdist)."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from compare_gan_tf.metrics import (
    density_coverage,
    improved_precision_recall,
    knn_radii,
    nearest_neighbour_metrics,
)
from compare_gan_tf.metrics import nearest_neighbours as nn_module


def _radii(features, k):
    """k-th smallest entry of each row of the full distance matrix; entry 0 is the sample itself."""
    return np.sort(cdist(features, features), axis=1)[:, k]


def _brute_force(real, fake, pr_k, dc_k):
    """Both papers' formulas on the full [N_real, N_fake] distance matrix."""
    distances = cdist(real, fake)
    real_pr, fake_pr, real_dc = _radii(real, pr_k), _radii(fake, pr_k), _radii(real, dc_k)
    precision = (distances <= real_pr[:, None]).any(axis=0).mean()
    recall = (distances <= fake_pr[None, :]).any(axis=1).mean()
    density = (distances < real_dc[:, None]).sum(axis=0).mean() / dc_k
    coverage = (distances.min(axis=1) < real_dc).mean()
    return precision, recall, density, coverage


def _sets(seed=0):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(60, 5))
    fake = 1.3 * rng.normal(size=(45, 5)) + 0.4
    return real, fake


@pytest.mark.parametrize("block_size", [None, 7, 1, 1000])
def test_matches_brute_force(block_size):
    real, fake = _sets()
    precision, recall, density, coverage = _brute_force(real, fake, 3, 5)
    assert 0.2 < precision < 0.95 and 0.2 < recall < 0.95 and 0.2 < coverage < 0.95
    scores = nearest_neighbour_metrics(real, fake, block_size=block_size)
    assert scores.precision == pytest.approx(precision, abs=1e-12)
    assert scores.recall == pytest.approx(recall, abs=1e-12)
    assert scores.density == pytest.approx(density, abs=1e-12)
    assert scores.coverage == pytest.approx(coverage, abs=1e-12)
    pr = improved_precision_recall(real, fake, k=3, block_size=block_size)
    dc = density_coverage(real, fake, k=5, block_size=block_size)
    assert (pr.precision, pr.recall) == (scores.precision, scores.recall)
    assert (dc.density, dc.coverage) == (scores.density, scores.coverage)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_other_k_and_float32_inputs(k):
    real, fake = _sets(seed=1)
    precision, recall, density, coverage = _brute_force(real, fake, k, k)
    pr = improved_precision_recall(real.astype(np.float32), fake.astype(np.float32), k=k)
    dc = density_coverage(real, fake, k=k, block_size=11)
    assert (pr.precision, pr.recall) == pytest.approx((precision, recall), abs=1e-12)
    assert (dc.density, dc.coverage) == pytest.approx((density, coverage), abs=1e-12)


@pytest.mark.parametrize("block_size", [None, 5])
def test_ties_follow_each_paper_closed_and_open_balls(block_size):
    # Small integer points: squared distances are exact and many equal a radius, so using the
    # wrong one of <= (improved precision/recall) and < (density/coverage) changes the scores.
    rng = np.random.default_rng(4)
    real = rng.integers(0, 4, size=(40, 3)).astype(np.float64)
    fake = rng.integers(0, 5, size=(30, 3)).astype(np.float64)
    expected = _brute_force(real, fake, 3, 5)
    distances = cdist(real, fake)
    assert np.isin(distances, _radii(real, 3)).any() and np.isin(distances, _radii(real, 5)).any()
    scores = nearest_neighbour_metrics(real, fake, block_size=block_size)
    assert (scores.precision, scores.recall, scores.density, scores.coverage) == pytest.approx(
        expected, abs=1e-12
    )


def test_knn_radii_match_brute_force():
    features = np.random.default_rng(2).normal(size=(40, 3))
    np.testing.assert_allclose(knn_radii(features, 3, block_size=6), _radii(features, 3))


def test_identical_sets_are_fully_precise_and_covered():
    features = np.random.default_rng(3).normal(size=(50, 4))
    scores = nearest_neighbour_metrics(features, features.copy(), block_size=9)
    assert scores.precision == 1.0 and scores.recall == 1.0 and scores.coverage == 1.0


def test_distance_blocks_never_exceed_block_size(monkeypatch):
    real, fake = _sets()
    original = nn_module._squared_distances
    shapes = []

    def recording(rows, columns, column_norms):
        shapes.append(rows.shape[0])
        return original(rows, columns, column_norms)

    monkeypatch.setattr(nn_module, "_squared_distances", recording)
    nearest_neighbour_metrics(real, fake, block_size=8)
    assert max(shapes) == 8
    # ceil(60 / 8) blocks for the real radii, ceil(45 / 8) for the fake radii and as many for
    # the fake-versus-real pass.
    assert len(shapes) == 8 + 6 + 6


def test_clear_errors():
    real, fake = _sets()
    with pytest.raises(ValueError, match="density_coverage_k=60 needs more than 60 samples"):
        nearest_neighbour_metrics(real, fake, density_coverage_k=60)
    with pytest.raises(ValueError, match="precision_recall_k=45 needs more than 45 samples"):
        improved_precision_recall(real, fake, k=45)
    with pytest.raises(ValueError, match="dimension 5 but fake_features has 4"):
        density_coverage(real, fake[:, :4])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("num_samples, dim", [(60, 5), (257, 33), (1000, 16)])
@pytest.mark.parametrize("block_size", [None, 7])
def test_identical_sets_have_density_and_coverage_exactly_one(seed, num_samples, dim, block_size):
    # Each fake copy of a real sample's k-th neighbour lies exactly on that sample's radius, so
    # the open balls hold k - 1 other copies plus its own: density = k N / (k N) = 1 exactly.
    features = np.random.default_rng(seed).normal(size=(num_samples, dim))
    for dtype in (np.float64, np.float32):
        x = features.astype(dtype)
        for k in (3, 5):
            scores = density_coverage(x, x.copy(), k=k, block_size=block_size)
            assert scores.density == 1.0 and scores.coverage == 1.0, (dtype, k, scores)
