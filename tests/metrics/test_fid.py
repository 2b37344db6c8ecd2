"""FID against scipy.linalg.sqrtm, closed forms for Gaussians, and intra-class FID by hand."""

import numpy as np
import pytest
from scipy import linalg, stats

from compare_gan_tf.metrics import (
    feature_statistics,
    fid_from_features,
    fid_from_statistics,
    intra_class_fid,
    trace_sqrt_product,
)


def _sqrtm_fid(real, fake):
    """The TTUR recipe: np.cov statistics and the real part of scipy.linalg.sqrtm(S1 S2)."""
    mu1, mu2 = real.mean(axis=0), fake.mean(axis=0)
    sigma1, sigma2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    covmean = linalg.sqrtm(sigma1 @ sigma2).real
    return np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2.0 * covmean)


def _gaussian_fid(mu1, var1, mu2, var2):
    """Closed form between N(mu1, diag(var1)) and N(mu2, diag(var2))."""
    return np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2.0 * np.sqrt(var1 * var2))


def test_matches_scipy_sqrtm_on_random_features():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    fake = rng.gamma(2.0, size=(250, 12)) @ rng.normal(size=(12, 12)) + 0.5
    expected = _sqrtm_fid(real, fake)
    assert expected > 1.0
    np.testing.assert_allclose(fid_from_features(real, fake), expected, rtol=1e-4)


@pytest.mark.parametrize("rotate", [False, True])
def test_equals_closed_form_between_known_gaussians(rotate):
    rng = np.random.default_rng(1)
    dim = 6
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    var1, var2 = rng.uniform(0.1, 3.0, size=dim), rng.uniform(0.1, 3.0, size=dim)
    expected = _gaussian_fid(mu1, var1, mu2, var2)
    # A common rotation leaves the distance unchanged and makes the covariances non-diagonal.
    rotation = stats.ortho_group.rvs(dim, random_state=2) if rotate else np.eye(dim)
    value = fid_from_statistics(
        rotation @ mu1,
        rotation @ np.diag(var1) @ rotation.T,
        rotation @ mu2,
        rotation @ np.diag(var2) @ rotation.T,
    )
    np.testing.assert_allclose(value, expected, rtol=1e-10)


def test_sample_estimate_approaches_the_closed_form():
    rng = np.random.default_rng(3)
    mu1, var1 = np.array([0.0, 1.0, -1.0]), np.array([1.0, 0.5, 2.0])
    mu2, var2 = np.array([1.0, 1.0, 0.0]), np.array([2.0, 0.5, 0.25])
    real = mu1 + np.sqrt(var1) * rng.normal(size=(40_000, 3))
    fake = mu2 + np.sqrt(var2) * rng.normal(size=(40_000, 3))
    np.testing.assert_allclose(
        fid_from_features(real, fake), _gaussian_fid(mu1, var1, mu2, var2), rtol=0.02
    )


@pytest.mark.parametrize("num_samples", [200, 10])  # 10 < dim: singular covariance
def test_identical_sets_give_zero(num_samples):
    features = np.random.default_rng(4).normal(size=(num_samples, 32))
    value = fid_from_features(features, features.copy())
    assert 0.0 <= value < 1e-8 * np.trace(np.cov(features, rowvar=False))
    assert fid_from_features(features, features + 1.0) == pytest.approx(32.0, rel=1e-6)


# scipy warns that sqrtm of the singular product "might be inaccurate"; it agrees here.
@pytest.mark.filterwarnings("ignore:Matrix is singular")
@pytest.mark.parametrize("rank", [8, 5])  # 5: sigma1 is singular, so it has no Cholesky factor
def test_trace_sqrt_product_matches_scipy_sqrtm(rank):
    rng = np.random.default_rng(8)
    basis = rng.normal(size=(8, 8))
    basis[rank:] = 0.0  # exact zero rows and columns in sigma1
    sigma1 = basis @ basis.T
    sigma2 = np.cov(rng.normal(size=(100, 8)) @ rng.normal(size=(8, 8)), rowvar=False)
    if rank < 8:
        with pytest.raises(np.linalg.LinAlgError):
            np.linalg.cholesky(sigma1)
    expected = np.trace(linalg.sqrtm(sigma1 @ sigma2).real)
    np.testing.assert_allclose(trace_sqrt_product(sigma1, sigma2), expected, rtol=1e-6)


def test_feature_statistics_match_numpy_with_small_blocks():
    features = np.random.default_rng(5).normal(size=(53, 9)).astype(np.float32)
    mu, sigma = feature_statistics(features, block_size=7)
    assert mu.dtype == np.float64 and sigma.dtype == np.float64
    np.testing.assert_allclose(mu, features.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(features.astype(np.float64), rowvar=False), atol=1e-12)


def test_clear_errors():
    rng = np.random.default_rng(6)
    with pytest.raises(ValueError, match="dimension 4 but fake_features has 5"):
        fid_from_features(rng.normal(size=(10, 4)), rng.normal(size=(10, 5)))
    with pytest.raises(ValueError, match="real_features has 1 samples"):
        fid_from_features(rng.normal(size=(1, 4)), rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match="must be 2-D"):
        fid_from_features(rng.normal(size=(10, 2, 2)), rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match="NaN"):
        fid_from_features(np.full((10, 4), np.nan), rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match="sigma2 must be a \\[3, 3\\] covariance"):
        fid_from_statistics(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))
    with pytest.raises(ValueError, match="mu1 has dimension 3 but mu2 has 4"):
        fid_from_statistics(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="not symmetric"):
        fid_from_statistics(np.zeros(2), np.eye(2), np.zeros(2), np.array([[1.0, 1.0], [0, 1]]))


def test_intra_class_fid_is_the_mean_of_per_class_fids():
    rng = np.random.default_rng(7)
    real_labels = np.repeat([0, 1, 2], 40)
    fake_labels = np.tile([0, 1, 2], 30)
    real = rng.normal(size=(120, 4)) + real_labels[:, None]
    fake = rng.normal(size=(90, 4)) * 1.5 + fake_labels[:, None] * 0.5
    result = intra_class_fid(real, real_labels, fake, fake_labels)
    expected = {c: _sqrtm_fid(real[real_labels == c], fake[fake_labels == c]) for c in (0, 1, 2)}
    assert set(result.per_class) == {0, 1, 2}
    for label, value in expected.items():
        np.testing.assert_allclose(result.per_class[label], value, rtol=1e-6)
    np.testing.assert_allclose(result.mean, np.mean(list(expected.values())), rtol=1e-6)
    # Class-blind FID mixes the classes and differs from the per-class average.
    assert abs(fid_from_features(real, fake) - result.mean) > 0.1


def test_intra_class_fid_names_a_class_missing_from_one_set():
    rng = np.random.default_rng(8)
    labels = np.repeat([0, 1], 5)
    with pytest.raises(ValueError, match="class 1 has 5 real and 0 fake samples"):
        intra_class_fid(rng.normal(size=(10, 3)), labels, rng.normal(size=(10, 3)), labels * 0)
