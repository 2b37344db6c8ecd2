"""The latent prior and the truncation trick against scipy's truncated normal."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from compare_gan_tf.architectures.latents import sample_z

SEED = tf.constant([3, 4], tf.int64)


@pytest.mark.parametrize("threshold", [0.5, 1.0, 2.0])
def test_truncated_normal_matches_scipy_truncnorm(threshold):
    z = sample_z([20000], SEED, "normal", threshold).numpy()
    assert np.abs(z).max() <= threshold
    # Kolmogorov-Smirnov against N(0, 1) restricted to [-t, t] (what resampling |z| > t gives).
    result = stats.kstest(z, stats.truncnorm(-threshold, threshold).cdf)
    assert result.pvalue > 1e-3, result
    # ... and not the plain normal (the test can fail).
    assert stats.kstest(z, stats.norm.cdf).pvalue < 1e-6


def test_no_truncation_is_the_plain_prior():
    np.testing.assert_array_equal(
        sample_z([4, 3], SEED, "normal"), tf.random.stateless_normal([4, 3], SEED)
    )
    uniform = sample_z([5000], SEED, "uniform").numpy()
    assert -1 <= uniform.min() < -0.99 and 0.99 < uniform.max() <= 1


def test_truncated_uniform_stays_within_the_threshold():
    z = sample_z([5000], SEED, "uniform", 0.3).numpy()
    assert np.abs(z).max() <= 0.3 and np.abs(z).max() > 0.29
    assert np.array_equal(sample_z([5000], SEED, "uniform", 3.0), sample_z([5000], SEED, "uniform"))


def test_the_same_seed_gives_the_same_draw():
    np.testing.assert_array_equal(
        sample_z([8, 2], SEED, "normal", 0.7), sample_z([8, 2], SEED, "normal", 0.7)
    )


@pytest.mark.parametrize("threshold", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_threshold_is_refused(threshold):
    with pytest.raises(ValueError, match="truncation must be a positive threshold"):
        sample_z([2], SEED, "normal", threshold)


def test_an_unknown_prior_is_refused():
    with pytest.raises(ValueError, match="Unknown z prior 'cauchy'"):
        sample_z([2], SEED, "cauchy")


def test_a_tensor_threshold_inside_a_function_gives_the_same_draw():
    draw = tf.function(lambda t: sample_z([6, 2], SEED, "normal", t))
    np.testing.assert_allclose(
        draw(tf.constant(0.7)), sample_z([6, 2], SEED, "normal", 0.7), rtol=1e-6
    )


def test_an_infinite_threshold_inside_a_function_is_the_plain_normal():
    z = tf.function(lambda t: sample_z([20000], SEED, "normal", t))(tf.constant(float("inf")))
    assert np.isfinite(z.numpy()).all()
    assert stats.kstest(z.numpy(), stats.norm.cdf).pvalue > 1e-3
