"""MS-SSIM diversity against a numpy SSIM written from Wang et al., closed forms and the protocol.

The reference below follows the papers' definitions (Wang et al. 2004 SSIM with an 11x11
Gaussian window of sigma 1.5 over the valid region; Wang et al. 2003 MS-SSIM: contrast-structure
at the fine scales, full SSIM at the coarsest, 2x2 average pooling between scales) in float64
with scipy, sharing no code with tf.image.
"""

import numpy as np
import pytest
from scipy import ndimage, signal

from compare_gan_tf.metrics.ms_ssim import (
    WANG_POWER_FACTORS,
    mean_batch_ms_ssim,
    ms_ssim_batches,
    ms_ssim_diversity,
    ms_ssim_scales,
    ms_ssim_settings,
    pairwise_ms_ssim,
)

C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def gaussian_window(size, sigma=1.5):
    coords = np.arange(size) - (size - 1) / 2.0
    window = np.exp(-(coords[:, None] ** 2 + coords[None, :] ** 2) / (2.0 * sigma**2))
    return window / window.sum()


def ssim_terms(x, y, window):
    """(mean SSIM, mean contrast-structure) of two 2-D float64 images in [0, 255]."""

    def local_mean(image):
        return signal.correlate2d(image, window, mode="valid")

    mean_x, mean_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mean_x**2
    var_y = local_mean(y * y) - mean_y**2
    cov = local_mean(x * y) - mean_x * mean_y
    luminance = (2 * mean_x * mean_y + C1) / (mean_x**2 + mean_y**2 + C1)
    contrast_structure = (2 * cov + C2) / (var_x + var_y + C2)
    return (luminance * contrast_structure).mean(), contrast_structure.mean()


def reference_ms_ssim(x, y, power_factors, filter_size):
    """MS-SSIM of two [H, W, C] images in [0, 1] (even sides at every scale), channel mean."""
    window = gaussian_window(filter_size)
    per_channel = []
    for channel in range(x.shape[-1]):
        a = x[..., channel].astype(np.float64) * 255
        b = y[..., channel].astype(np.float64) * 255
        value = 1.0
        for scale, weight in enumerate(power_factors):
            if scale:
                a = a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2).mean(axis=(1, 3))
                b = b.reshape(b.shape[0] // 2, 2, b.shape[1] // 2, 2).mean(axis=(1, 3))
            ssim, contrast_structure = ssim_terms(a, b, window)
            last = scale == len(power_factors) - 1
            value *= max(ssim if last else contrast_structure, 0.0) ** weight
        per_channel.append(value)
    return float(np.mean(per_channel))


def smooth_images(rng, count, side, channels):
    """Blurred noise in [0, 1]: images with structure at several scales."""
    noise = rng.uniform(size=(count, side, side, channels))
    blurred = ndimage.gaussian_filter(noise, sigma=(0, 1.5, 1.5, 0))
    low, high = blurred.min(), blurred.max()
    return ((blurred - low) / (high - low)).astype(np.float32)


def correlated_batch(rng, count, side, channels):
    """A base image plus independent noise: pairs with MS-SSIM well inside (0, 1)."""
    base = smooth_images(rng, 1, side, channels)
    noisy = base + 0.15 * smooth_images(rng, count, side, channels)
    return (noisy / noisy.max()).astype(np.float32)


def test_identical_images_score_exactly_one():
    rng = np.random.default_rng(0)
    image = smooth_images(rng, 1, 64, 3)
    assert np.all(pairwise_ms_ssim(np.repeat(image, 4, axis=0)) == 1.0)


def test_one_scale_equals_numpy_ssim():
    # 16 px: 16 -> 8 leaves one scale that holds the 11x11 window, power factor 1: plain SSIM.
    rng = np.random.default_rng(1)
    images = correlated_batch(rng, 4, 16, 3)
    assert ms_ssim_settings(16, 16) == ((1.0,), 11)
    values = pairwise_ms_ssim(images)
    first, second = np.triu_indices(4, k=1)
    expected = [reference_ms_ssim(images[i], images[j], (1.0,), 11) for i, j in zip(first, second)]
    assert min(expected) > 0.2 and max(expected) < 0.99
    np.testing.assert_allclose(values, expected, atol=1e-5)


def test_three_scales_at_64_pixels_equal_the_numpy_reference():
    rng = np.random.default_rng(2)
    images = correlated_batch(rng, 3, 64, 1)
    factors, filter_size = ms_ssim_settings(64, 64)
    kept = WANG_POWER_FACTORS[:3]
    np.testing.assert_allclose(factors, np.array(kept) / sum(kept), rtol=1e-12)
    values = pairwise_ms_ssim(images)
    first, second = np.triu_indices(3, k=1)
    expected = [
        reference_ms_ssim(images[i], images[j], factors, filter_size) for i, j in zip(first, second)
    ]
    np.testing.assert_allclose(values, expected, atol=1e-5)


# tf.image computes in float32, and its variances E[x^2] - E[x]^2 of flat images round by about
# 1e-7 * x^2: up to 1e-3 of the score for flat white images, under 1e-5 below 0.1. Flat images
# below therefore stay dark.
DARK = 0.1


def test_constant_images_have_a_closed_form():
    # Constant images: every contrast-structure term is C2 / C2 = 1 and pooling keeps the
    # constants, so MS-SSIM = luminance ** (weight of the coarsest scale).
    levels = DARK * np.array([0.0, 0.3, 0.7, 1.0])
    images = np.broadcast_to(levels[:, None, None, None], (4, 32, 32, 3)).astype(np.float32)
    weights, _ = ms_ssim_settings(32, 32)
    assert len(weights) == 2  # 32 -> 16 -> 8: the 8-pixel scale cannot hold the window
    first, second = np.triu_indices(4, k=1)
    a, b = 255 * levels[first], 255 * levels[second]
    expected = ((2 * a * b + C1) / (a**2 + b**2 + C1)) ** weights[-1]
    assert expected.min() < 0.05 and expected.max() > 0.9
    np.testing.assert_allclose(pairwise_ms_ssim(images), expected, atol=1e-5)


def test_scale_count_and_window_follow_the_image_size():
    assert [ms_ssim_scales(s, s) for s in (161, 160, 256, 128, 64, 32, 16, 11, 10)] == [
        5,
        4,
        5,
        4,
        3,
        2,
        1,
        1,
        0,
    ]
    assert ms_ssim_settings(256, 256) == (WANG_POWER_FACTORS, 11)  # compare_gan's exactly
    factors, filter_size = ms_ssim_settings(128, 128)
    assert len(factors) == 4 and filter_size == 11
    assert sum(factors) == pytest.approx(1.0, abs=1e-12)
    assert ms_ssim_settings(8, 8) == ((1.0,), 8)
    assert ms_ssim_settings(9, 12) == ((1.0,), 9)


def test_images_smaller_than_the_window_use_one_window_over_the_image():
    rng = np.random.default_rng(3)
    images = correlated_batch(rng, 3, 8, 1)
    first, second = np.triu_indices(3, k=1)
    expected = [reference_ms_ssim(images[i], images[j], (1.0,), 8) for i, j in zip(first, second)]
    np.testing.assert_allclose(pairwise_ms_ssim(images), expected, atol=1e-5)


def test_unordered_pairs_equal_compare_gans_ordered_pairs_formula():
    # compare_gan scored all B * B ordered pairs, subtracted the B self-pairs (each exactly 1)
    # and divided by B * (B - 1).
    rng = np.random.default_rng(4)
    images = correlated_batch(rng, 5, 32, 3)
    ordered = np.array(
        [[reference_ms_ssim(x, y, ms_ssim_settings(32, 32)[0], 11) for y in images] for x in images]
    )
    compare_gan = (ordered.sum() - 5) / (5 * 4)
    assert np.diag(ordered) == pytest.approx(1.0, abs=1e-12)
    assert pairwise_ms_ssim(images).mean() == pytest.approx(compare_gan, abs=1e-5)


def test_diversity_is_the_mean_over_shuffled_batches_of_the_pair_means():
    # Ten constant images: pair values are closed forms, so the protocol is checked exactly.
    levels = np.linspace(0.0, DARK, 10)
    images = np.broadcast_to(levels[:, None, None, None], (10, 16, 16, 1)).astype(np.float32)
    score = ms_ssim_diversity(images, batch_size=3, num_batches=2, seed=7)
    order = np.random.default_rng(7).permutation(10)[:6].reshape(2, 3)
    batch_means = []
    for batch in order:
        first, second = np.triu_indices(3, k=1)
        a, b = 255 * levels[batch[first]], 255 * levels[batch[second]]
        batch_means.append(np.mean((2 * a * b + C1) / (a**2 + b**2 + C1)))
    assert score == pytest.approx(np.mean(batch_means), abs=1e-5)
    np.testing.assert_array_equal(ms_ssim_batches(10, 3, 2, seed=7), order)
    assert mean_batch_ms_ssim(images[batch] for batch in order) == score


def test_diverse_samples_score_lower_than_near_copies():
    rng = np.random.default_rng(5)
    copies = correlated_batch(rng, 40, 32, 3)
    diverse = smooth_images(rng, 40, 32, 3)
    assert ms_ssim_diversity(diverse, 8, 5) < 0.5 * ms_ssim_diversity(copies, 8, 5)


def test_bad_inputs_raise_one_clear_error():
    with pytest.raises(ValueError, match=r"NHWC.*add a batch axis"):
        pairwise_ms_ssim(np.zeros((16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"at least 7x7 pixels, got 6x6; score larger images"):
        pairwise_ms_ssim(np.zeros((4, 6, 6, 3), np.float32))
    with pytest.raises(ValueError, match="holds 1 image but MS-SSIM compares pairs"):
        ms_ssim_diversity(np.zeros((1, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 2"):
        ms_ssim_diversity(np.zeros((10, 16, 16, 3), np.float32), batch_size=1)
    with pytest.raises(ValueError, match=r"5 batches of 64 = 320 generated images but got 100"):
        ms_ssim_diversity(np.zeros((100, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        pairwise_ms_ssim(np.full((2, 16, 16, 3), -1.0, np.float32))
