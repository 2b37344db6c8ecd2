"""SWD against numpy/scipy references written from Karras et al.'s definition, and closed forms.

The reference pyramid uses scipy.ndimage.convolve with mirrored borders (the construction of
Karras et al.'s numpy code); the reference distance sorts each direction's projections in a
loop; neither shares code with the TensorFlow pyramid or the chunked sort under test.
"""

import math

import numpy as np
import pytest
from scipy import ndimage

from compare_gan_tf.metrics import swd
from compare_gan_tf.metrics.swd import (
    DescriptorSet,
    descriptors_at,
    laplacian_pyramid,
    normalize_descriptors,
    pyramid_resolutions,
    random_directions,
    random_positions,
    sliced_wasserstein,
    sliced_wasserstein_distance,
    swd_between,
)

FILTER = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1])[None, :, :, None] / 256.0


def reference_down(images):
    return ndimage.convolve(images, FILTER, mode="mirror")[:, ::2, ::2]


def reference_up(images):
    batch, height, width, channels = images.shape
    spread = np.zeros((batch, 2 * height, 2 * width, channels))
    spread[:, ::2, ::2] = images
    return ndimage.convolve(spread, 4.0 * FILTER, mode="mirror")


def reference_pyramid(images, num_levels):
    levels = [images.astype(np.float64)]
    for _ in range(1, num_levels):
        levels.append(reference_down(levels[-1]))
        levels[-2] = levels[-2] - reference_up(levels[-1])
    return levels


def reference_normalize(descriptors):
    """Per channel over all descriptors and positions, one channel at a time."""
    out = np.empty(descriptors.shape, np.float64)
    for channel in range(descriptors.shape[-1]):
        values = descriptors[..., channel].astype(np.float64)
        out[..., channel] = (values - values.mean()) / values.std()
    return out.reshape(len(descriptors), -1)


def reference_sliced(first, second, directions):
    distances = []
    for column in directions.T.astype(np.float64):
        distances.append(np.mean(np.abs(np.sort(first @ column) - np.sort(second @ column))))
    return float(np.mean(distances))


def smooth_images(rng, count, side, channels=3, sigma=1.5):
    noise = rng.uniform(size=(count, side, side, channels))
    blurred = ndimage.gaussian_filter(noise, sigma=(0, sigma, sigma, 0))
    low, high = blurred.min(), blurred.max()
    return ((blurred - low) / (high - low)).astype(np.float32)


def test_pyramid_equals_the_scipy_reference_and_reconstructs_the_images():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(5, 32, 32, 3)).astype(np.float32)
    levels = laplacian_pyramid(images, 3)
    assert [level.shape for level in levels] == [(5, 32, 32, 3), (5, 16, 16, 3), (5, 8, 8, 3)]
    for level, expected in zip(levels, reference_pyramid(images, 3)):
        np.testing.assert_allclose(level, expected, atol=1e-5)
    # Burt & Adelson: adding each level back to the upsampled coarser image recovers the image.
    image = levels[-1].astype(np.float64)
    for level in levels[-2::-1]:
        image = reference_up(image) + level
    np.testing.assert_allclose(image, images, atol=1e-5)


def test_descriptors_are_the_neighbourhoods_at_the_centres():
    rng = np.random.default_rng(1)
    level = rng.normal(size=(3, 12, 10, 2)).astype(np.float32)
    rows, cols = random_positions(rng.random((3, 2, 4)), 12, 10)
    patches = descriptors_at(level, rows, cols)
    assert patches.shape == (12, 7, 7, 2)
    for image in range(3):
        for k in range(4):
            r, c = rows[image, k], cols[image, k]
            expected = level[image, r - 3 : r + 4, c - 3 : c + 4]
            np.testing.assert_array_equal(patches[image * 4 + k], expected)


def test_positions_cover_every_centre_that_keeps_the_patch_inside():
    rows, cols = random_positions(np.random.default_rng(2).random((50, 2, 100)), 16, 9)
    assert (rows.min(), rows.max()) == (3, 12)
    assert (cols.min(), cols.max()) == (3, 5)
    counts = np.bincount(rows.ravel() - 3)
    assert len(counts) == 10 and counts.min() > 0.8 * counts.mean()
    edges = np.array([[[0.0, 0.999999], [0.0, 0.999999]]])  # [1, 2, K]: the extreme numbers
    assert [a.tolist() for a in random_positions(edges, 16, 9)] == [[[3, 12]], [[3, 5]]]


def test_normalizations_match_their_definitions():
    rng = np.random.default_rng(3)
    descriptors = (rng.normal(size=(40, 7, 7, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, -2.0]).astype(
        np.float32
    )
    np.testing.assert_allclose(
        normalize_descriptors(descriptors), reference_normalize(descriptors), atol=1e-5
    )
    per_descriptor = normalize_descriptors(descriptors, "descriptor")
    flat = descriptors.reshape(40, -1).astype(np.float64)
    expected = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)
    np.testing.assert_allclose(per_descriptor, expected, atol=1e-5)
    # A flat channel (a band-pass level of flat images) is centred, not divided by zero.
    descriptors[..., 1] = 4.0
    normalized = normalize_descriptors(descriptors).reshape(40, 7, 7, 3)
    assert np.all(normalized[..., 1] == 0.0)


def test_sliced_distance_equals_the_loop_reference_with_the_same_directions(monkeypatch):
    rng = np.random.default_rng(4)
    first = rng.normal(size=(300, 12)).astype(np.float32)
    second = (rng.normal(size=(300, 12)) * 1.3 + 0.2).astype(np.float32)
    directions = random_directions(rng, 12, 50)
    expected = reference_sliced(first, second, directions)
    assert sliced_wasserstein(first, second, directions) == pytest.approx(expected, rel=1e-5)
    monkeypatch.setattr(swd, "_FLOATS_PER_SORT", 300 * 7)  # sort 7 directions at a time
    assert sliced_wasserstein(first, second, directions) == pytest.approx(expected, rel=1e-5)


def test_one_dimensional_samples_pair_their_order_statistics():
    first = np.array([[0.0], [1.0], [2.0]], np.float32)
    second = np.array([[5.0], [3.0], [4.0]], np.float32)
    # Sorted: (0, 1, 2) against (3, 4, 5); the sign of the direction does not matter.
    assert sliced_wasserstein(first, second, np.array([[1.0]], np.float32)) == 3.0
    assert sliced_wasserstein(first, second, np.array([[-1.0]], np.float32)) == 3.0


def test_a_shifted_sample_is_at_shift_times_mean_absolute_cosine():
    # Projecting x + s v on d adds s (v . d) to every value, so the sorted gaps are all
    # s (v . d): SWD = |s| mean_j |v . d_j| exactly, whatever the sample and its order.
    rng = np.random.default_rng(5)
    first = rng.normal(size=(200, 6))
    direction = rng.normal(size=6)
    direction /= np.linalg.norm(direction)
    second = (first + 0.7 * direction)[rng.permutation(200)]
    directions = random_directions(rng, 6, 25)
    expected = 0.7 * np.mean(np.abs(direction @ directions))
    value = sliced_wasserstein(first.astype(np.float32), second.astype(np.float32), directions)
    assert value == pytest.approx(expected, rel=1e-5)


def test_random_directions_are_uniform_on_the_sphere():
    # For d uniform on the unit sphere of R^n, E|v . d| = Gamma(n/2) / (sqrt(pi) Gamma((n+1)/2)).
    dim = 147
    directions = random_directions(np.random.default_rng(6), dim, 50000)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=0), 1.0, atol=1e-6)
    cosines = np.abs(directions[0].astype(np.float64))
    expected = math.exp(math.lgamma(dim / 2) - math.lgamma((dim + 1) / 2)) / math.sqrt(math.pi)
    assert abs(cosines.mean() - expected) < 4 * cosines.std() / math.sqrt(len(cosines))


def test_levels_follow_the_image_size():
    assert pyramid_resolutions(128, 128) == (128, 64, 32, 16)
    assert pyramid_resolutions(32, 32) == (32, 16)
    assert pyramid_resolutions(48, 48) == (48, 24)
    assert pyramid_resolutions(8, 8) == (8,)  # below 16 px: one level, as TF-GAN
    assert pyramid_resolutions(64, 64, resolution_min=64) == (64,)
    with pytest.raises(ValueError, match=r"halves 50x50 images 2 times.*divisible by 4"):
        pyramid_resolutions(50, 50, resolution_min=8)


def reference_swd(real, fake, seed, per_image, num_projections):
    """The whole definition with numpy/scipy, drawing from the documented random streams, all
    images at once (the implementation under test works in batches)."""
    count = min(len(real), len(fake))
    num_levels = len(pyramid_resolutions(*real.shape[1:3]))
    sets = []
    for stream, images in enumerate((real[:count], fake[:count])):
        uniform = np.random.default_rng([seed, stream]).random((count, num_levels, 2, per_image))
        levels = [[] for _ in range(num_levels)]
        for index, level in enumerate(reference_pyramid(images, num_levels)):
            _, height, width, _ = level.shape
            for image in range(count):
                for u, v in zip(*uniform[image, index]):
                    r, c = 3 + int(u * (height - 6)), 3 + int(v * (width - 6))
                    levels[index].append(level[image, r - 3 : r + 4, c - 3 : c + 4])
        sets.append([reference_normalize(np.stack(parts)) for parts in levels])
    rng = np.random.default_rng([seed, 2])
    distances = []
    for first, second in zip(*sets):
        directions = rng.standard_normal((first.shape[1], num_projections))
        directions /= np.linalg.norm(directions, axis=0, keepdims=True)
        distances.append(reference_sliced(first, second, directions))
    return distances


def test_distance_equals_the_numpy_reference_end_to_end():
    rng = np.random.default_rng(7)
    real = smooth_images(rng, 9, 32)
    fake = smooth_images(rng, 11, 32, sigma=0.8)
    result = sliced_wasserstein_distance(
        real, fake, descriptors_per_image=16, num_projections=40, seed=3, batch_size=4
    )
    expected = reference_swd(real, fake, seed=3, per_image=16, num_projections=40)
    assert result.resolutions == (32, 16)
    np.testing.assert_allclose(result.distances, expected, rtol=1e-5)
    assert result.mean == pytest.approx(np.mean(expected), rel=1e-5)


def test_identical_sets_are_at_zero_and_a_sharper_set_is_far():
    rng = np.random.default_rng(8)
    real = DescriptorSet(descriptors_per_image=32, seed=0)
    real.add(smooth_images(rng, 40, 32))
    same = swd_between(real, real, num_projections=64)
    assert same.distances == (0.0, 0.0) and same.mean == 0.0
    images = smooth_images(rng, 64, 32)
    settings = dict(descriptors_per_image=64, num_projections=64)
    again = sliced_wasserstein_distance(images, images, **settings)
    independent = sliced_wasserstein_distance(images, smooth_images(rng, 64, 32), **settings)
    other = sliced_wasserstein_distance(images, smooth_images(rng, 64, 32, sigma=0), **settings)
    # The same images at other random positions, or other images of the same kind: sampling
    # noise only. Unblurred noise differs from blurred noise most at the finest level.
    assert other.distances[0] > 3 * again.distances[0]
    assert other.distances[0] > 2.5 * independent.distances[0]
    assert other.distances[0] > other.distances[1]


def test_tf_gan_settings_give_its_definition():
    rng = np.random.default_rng(9)
    real, fake = smooth_images(rng, 6, 16), smooth_images(rng, 6, 16, sigma=0.7)
    result = sliced_wasserstein_distance(
        real, fake, descriptors_per_image=64, num_projections=147, normalization="descriptor"
    )
    real_set = DescriptorSet(descriptors_per_image=64, seed=[0, 0])
    real_set.add(real)
    fake_set = DescriptorSet(descriptors_per_image=64, seed=[0, 1])
    fake_set.add(fake)
    (first,), (second,) = real_set.descriptors(6), fake_set.descriptors(6)
    flat = [d.reshape(len(d), -1).astype(np.float64) for d in (first, second)]
    flat = [(d - d.mean(1, keepdims=True)) / d.std(1, keepdims=True) for d in flat]
    directions = random_directions(np.random.default_rng([0, 2]), 147, 147)
    assert result.distances[0] == pytest.approx(reference_sliced(*flat, directions), rel=1e-5)


def test_fakes_are_compared_in_the_real_images_channel_format():
    # A grayscale model's hub module emits its gray images tiled to RGB.
    rng = np.random.default_rng(10)
    real, fake = smooth_images(rng, 8, 16, channels=1), smooth_images(rng, 8, 16, channels=1)
    settings = dict(descriptors_per_image=32, num_projections=32, seed=4)
    gray = sliced_wasserstein_distance(real, fake, **settings)
    tiled = sliced_wasserstein_distance(real, np.repeat(fake, 3, axis=-1), **settings)
    assert tiled.distances[0] == pytest.approx(gray.distances[0], rel=1e-6)
    rgb_real = np.repeat(real, 3, axis=-1)
    both_rgb = sliced_wasserstein_distance(rgb_real, np.repeat(fake, 3, axis=-1), **settings)
    gray_fake = sliced_wasserstein_distance(rgb_real, fake, **settings)
    assert gray_fake.distances[0] == pytest.approx(both_rgb.distances[0], rel=1e-6)


def test_bad_inputs_raise_one_clear_error():
    images = np.zeros((4, 16, 16, 3), np.float32)
    with pytest.raises(ValueError, match=r"NHWC.*add a batch axis"):
        sliced_wasserstein_distance(images[0], images)
    with pytest.raises(ValueError, match=r"images are 5x5; score images of at least 7x7"):
        sliced_wasserstein_distance(images[:, :5, :5], images[:, :5, :5])
    with pytest.raises(ValueError, match=r"fake_images holds 1 image\(s\).*at least 2"):
        sliced_wasserstein_distance(images, images[:1])
    with pytest.raises(ValueError, match=r"real_images are \(16, 16, 3\) but fake_images are"):
        sliced_wasserstein_distance(images, images[:, :8, :8])
    with pytest.raises(ValueError, match="Unknown SWD normalization 'pixel'"):
        sliced_wasserstein_distance(images, images, normalization="pixel")
    with pytest.raises(ValueError, match="resolution_min must be an integer >= 7"):
        sliced_wasserstein_distance(images, images, resolution_min=4)
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        sliced_wasserstein_distance(images - 1.0, images)
