"""Legacy resize against hand-computed TF1 bilinear, clean resize against Pillow, and aliasing."""

import numpy as np
import pytest
from PIL import Image

from compare_gan_tf.metrics.resizing import resize_images, size_pair, to_rgb


def _tf1_bilinear(image, out_height, out_width):
    """TF1 resize_bilinear by hand: source coordinate = output index * in / out, no half-pixel
    offset, neighbours clamped at the last row / column."""

    def axis(size_out, size_in):
        source = np.arange(size_out) * (size_in / size_out)
        low = np.floor(source).astype(int)
        return low, np.minimum(low + 1, size_in - 1), source - low

    top, bottom, dy = axis(out_height, image.shape[0])
    left, right, dx = axis(out_width, image.shape[1])
    dy, dx = dy[:, None, None], dx[None, :, None]
    upper = image[top][:, left] * (1 - dx) + image[top][:, right] * dx
    lower = image[bottom][:, left] * (1 - dx) + image[bottom][:, right] * dx
    return upper * (1 - dy) + lower * dy


def _pillow_bicubic(image, out_height, out_width):
    """clean-fid's recipe written out: each channel of the [0, 255] image as a Pillow "F" image."""
    channels = []
    for channel in range(image.shape[-1]):
        plane = Image.frombytes("F", image.shape[1::-1], (image[..., channel] * 255).tobytes())
        plane = plane.resize((out_width, out_height), Image.Resampling.BICUBIC)
        channels.append(np.clip(np.asarray(plane), 0, 255) / 255)
    return np.stack(channels, axis=-1)


def test_legacy_upsamples_a_row_without_half_pixel_offset():
    row = np.array([0.0, 1.0], np.float32).reshape(1, 1, 2, 1)
    # Sources 0, 0.5, 1, 1.5 (clamped to 1); half-pixel centres would give 0, .25, .75, 1.
    np.testing.assert_allclose(resize_images(row, (1, 4)).ravel(), [0.0, 0.5, 1.0, 1.0])


def test_legacy_two_by_two_to_three_by_three_by_hand():
    image = np.array([[0.0, 0.3], [0.6, 0.9]], np.float32).reshape(1, 2, 2, 1)
    # Sources 0, 2/3, 4/3 (clamped) on both axes.
    expected = [[0.0, 0.2, 0.3], [0.4, 0.6, 0.7], [0.6, 0.8, 0.9]]
    np.testing.assert_allclose(resize_images(image, 3)[0, ..., 0], expected, atol=1e-6)


def test_legacy_downsampling_picks_pixels_without_antialiasing():
    image = np.random.default_rng(0).random((1, 4, 4, 1), dtype=np.float32)
    np.testing.assert_allclose(resize_images(image, 2, "legacy"), image[:, ::2, ::2])


@pytest.mark.parametrize("size", [(299, 299), (5, 11), (13, 4)])
def test_legacy_matches_hand_computed_bilinear(size):
    images = np.random.default_rng(1).random((2, 7, 9, 3), dtype=np.float32)
    expected = np.stack([_tf1_bilinear(image, *size) for image in images])
    np.testing.assert_allclose(resize_images(images, size, "legacy"), expected, atol=1e-5)


@pytest.mark.parametrize("size", [(299, 299), (8, 8), (5, 13)])
def test_clean_matches_pillow_bicubic(size):
    images = np.random.default_rng(2).random((2, 32, 24, 3), dtype=np.float32)
    expected = np.stack([_pillow_bicubic(image, *size) for image in images])
    resized = resize_images(images, size, "clean")
    assert resized.shape == (2, *size, 3)
    np.testing.assert_allclose(resized, expected, atol=1e-6)
    assert resized.min() >= 0.0 and resized.max() <= 1.0


def test_clean_antialiases_a_checkerboard_that_legacy_aliases():
    rows, columns = np.indices((64, 64))
    checkerboard = ((rows + columns) % 2).astype(np.float32).reshape(1, 64, 64, 1)
    legacy = resize_images(checkerboard, 8, "legacy")
    clean = resize_images(checkerboard, 8, "clean")
    # Legacy samples every 8th pixel, all of the same colour: a flat black image.
    np.testing.assert_array_equal(legacy, 0.0)
    # The antialiased filter averages the pattern to mid-grey.
    np.testing.assert_allclose(clean, 0.5, atol=0.02)


@pytest.mark.parametrize("method", ["legacy", "clean"])
def test_same_size_is_unchanged(method):
    images = np.random.default_rng(3).random((2, 6, 5, 3), dtype=np.float32)
    np.testing.assert_array_equal(resize_images(images, (6, 5), method), images)


def test_to_rgb_tiles_grayscale_and_keeps_rgb():
    gray = np.random.default_rng(4).random((2, 3, 3, 1), dtype=np.float32)
    rgb = to_rgb(gray)
    assert rgb.shape == (2, 3, 3, 3)
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], gray[..., 0])
    np.testing.assert_array_equal(to_rgb(rgb), rgb)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        to_rgb(np.zeros((1, 2, 2, 2)))


def test_bad_method_and_size_are_named():
    images = np.zeros((1, 4, 4, 3), np.float32)
    with pytest.raises(ValueError, match="'bicubic'.*'legacy'.*'clean'"):
        resize_images(images, 8, "bicubic")
    with pytest.raises(ValueError, match="size must be"):
        resize_images(images, (8, 0))
    assert size_pair(7) == (7, 7) and size_pair((3, 5)) == (3, 5)
