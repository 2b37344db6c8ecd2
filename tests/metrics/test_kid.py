"""KID: brute-force MMD^2, unbiasedness over many draws, and behaviour on shifted samples."""

import numpy as np
import pytest

from compare_gan_tf.metrics import kernel_inception_distance, mmd2_unbiased, polynomial_kernel


def _kernel(a, b):
    return (np.dot(a, b) / len(a) + 1.0) ** 3


def _brute_force_mmd2(x, y):
    """Gretton et al. 2012 MMD^2_u written as explicit loops over pairs."""
    m, n = len(x), len(y)
    xx = sum(_kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(_kernel(y[i], y[j]) for i in range(n) for j in range(n) if i != j)
    xy = sum(_kernel(x[i], y[j]) for i in range(m) for j in range(n))
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2.0 * xy / (m * n)


def test_kernel_and_mmd2_match_brute_force():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 6)), rng.normal(size=(15, 6)) + 0.3
    np.testing.assert_allclose(polynomial_kernel(x, y)[3, 7], _kernel(x[3], y[7]), rtol=1e-12)
    np.testing.assert_allclose(mmd2_unbiased(x, y), _brute_force_mmd2(x, y), rtol=1e-10)


def test_kid_subset_equals_brute_force_when_the_subset_is_the_whole_set():
    # subset_size is clipped to the 30 samples: every subset is a permutation of each set, and
    # MMD^2 does not depend on the order of the samples.
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(30, 5)), rng.normal(size=(30, 5)) * 1.3
    score = kernel_inception_distance(real, fake, subset_size=1000, num_subsets=3, seed=0)
    np.testing.assert_allclose(score.mean, _brute_force_mmd2(fake, real), rtol=1e-10)
    assert score.std == pytest.approx(0.0, abs=1e-12)


def test_estimator_is_unbiased_where_the_v_statistic_is_not():
    rng = np.random.default_rng(2)
    unbiased, biased = [], []
    for _ in range(2000):
        x, y = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))
        unbiased.append(mmd2_unbiased(x, y))
        # The V-statistic keeps the k(x_i, x_i) terms and is biased upwards.
        biased.append(
            polynomial_kernel(x, x).mean()
            + polynomial_kernel(y, y).mean()
            - 2.0 * polynomial_kernel(x, y).mean()
        )
    unbiased, biased = np.array(unbiased), np.array(biased)
    standard_error = unbiased.std() / np.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 3.0 * standard_error
    assert biased.mean() > 20.0 * biased.std() / np.sqrt(len(biased))


def test_near_zero_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(3)
    real, same = rng.normal(size=(500, 16)), rng.normal(size=(500, 16))
    shifted = rng.normal(size=(500, 16)) + 0.5
    null = kernel_inception_distance(real, same, subset_size=200, num_subsets=50, seed=0)
    alternative = kernel_inception_distance(real, shifted, subset_size=200, num_subsets=50, seed=0)
    assert abs(null.mean) < 3.0 * null.std
    assert alternative.mean > 10.0 * alternative.std
    assert alternative.mean > 50.0 * abs(null.mean)


def test_seed_makes_subsets_reproducible():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(100, 4)), rng.normal(size=(80, 4))
    first = kernel_inception_distance(real, fake, subset_size=20, num_subsets=5, seed=7)
    again = kernel_inception_distance(real, fake, subset_size=20, num_subsets=5, seed=7)
    other = kernel_inception_distance(real, fake, subset_size=20, num_subsets=5, seed=8)
    assert first == again
    assert first.mean != other.mean


def test_clear_errors():
    rng = np.random.default_rng(5)
    with pytest.raises(ValueError, match="dimension 4 but fake_features has 3"):
        kernel_inception_distance(rng.normal(size=(10, 4)), rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match="subset_size must be an integer >= 2"):
        kernel_inception_distance(rng.normal(size=(10, 4)), rng.normal(size=(10, 4)), 1)
    with pytest.raises(ValueError, match="fake_features has 1 samples"):
        kernel_inception_distance(rng.normal(size=(10, 4)), rng.normal(size=(1, 4)))
