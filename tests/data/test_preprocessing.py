"""Crops, resizes and decoding against numpy / Pillow references."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from compare_gan_tf.data import preprocessing


def _coordinates_image(height, width):
    """Pixel (y, x) holds (y, x, y + x): any window can be located from its first pixel."""
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return np.stack([ys, xs, ys + xs], axis=-1).astype(np.int32)


def _pil_resize(image, size):
    """Pillow's BILINEAR resize in float mode, channel by channel (no uint8 rounding)."""
    channels = [
        np.asarray(
            Image.fromarray(image[..., c].astype(np.float32), mode="F").resize(
                (size, size), Image.BILINEAR
            )
        )
        for c in range(image.shape[-1])
    ]
    return np.stack(channels, axis=-1)


def test_crop_or_pad_is_the_numpy_centre_window_of_celeb_a():
    image = _coordinates_image(218, 178)
    cropped = preprocessing.crop_or_pad(tf.constant(image), 160).numpy()
    # compare_gan's CelebA crop: offsets (218 - 160) // 2 = 29 and (178 - 160) // 2 = 9.
    np.testing.assert_array_equal(cropped, image[29:189, 9:169])


def test_crop_or_pad_pads_short_sides_with_zeros():
    image = np.ones((100, 140, 3), np.uint8)
    out = preprocessing.crop_or_pad(tf.constant(image), 128).numpy()
    assert out.shape == (128, 128, 3)
    np.testing.assert_array_equal(out[:14], 0)
    np.testing.assert_array_equal(out[14:114], 1)
    np.testing.assert_array_equal(out[114:], 0)


@pytest.mark.parametrize("shape", [(50, 80), (81, 40), (33, 33)])
def test_center_square_crop_matches_numpy(shape):
    image = _coordinates_image(*shape)
    side = min(shape)
    top, left = (shape[0] - side) // 2, (shape[1] - side) // 2
    out = preprocessing.center_square_crop(tf.constant(image)).numpy()
    np.testing.assert_array_equal(out, image[top : top + side, left : left + side])


@pytest.mark.parametrize(("source", "size"), [((160, 160), 64), ((100, 70), 32), ((8, 8), 32)])
def test_resize_matches_pillow_bilinear(source, size):
    image = np.random.default_rng(3).uniform(0, 255, (*source, 3))
    ours = preprocessing.resize(tf.constant(image, tf.float32), size).numpy()
    np.testing.assert_allclose(ours, _pil_resize(image, size), atol=2e-4)


def test_resize_keeps_a_flat_image_flat():
    image = np.full((37, 53, 3), 200, np.uint8)
    np.testing.assert_allclose(preprocessing.resize(image, 16).numpy(), 200.0, atol=1e-4)


def test_to_model_range_maps_0_and_255_to_the_ends():
    values = tf.constant([0, 51, 127, 255], tf.uint8)
    np.testing.assert_allclose(
        preprocessing.to_model_range(values).numpy(),
        np.array([0, 51, 127, 255]) / 127.5 - 1,
        atol=1e-6,
    )


def test_distorted_square_crop_is_a_square_window_of_half_the_area_or_more():
    image = _coordinates_image(120, 90)
    sides = set()
    for i in range(20):
        seed = tf.constant([7, i], tf.int64)
        crop = preprocessing.distorted_square_crop(tf.constant(image), seed).numpy()
        height, width, _ = crop.shape
        assert height == width
        assert 0.5 * 120 * 90 <= height * width <= 90 * 90
        top, left = crop[0, 0, 0], crop[0, 0, 1]
        np.testing.assert_array_equal(crop, image[top : top + height, left : left + width])
        again = preprocessing.distorted_square_crop(tf.constant(image), seed).numpy()
        np.testing.assert_array_equal(crop, again)
        sides.add((height, top, left))
    assert len(sides) > 5


def _encode(array, fmt, mode):
    buffer = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "GIF"])
def test_decode_gray_image_as_rgb_and_as_gray(fmt):
    gray = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10) * 2
    data = _encode(gray, fmt, "L")
    rgb = preprocessing.decode_image(data, 3).numpy()
    assert rgb.shape == (12, 10, 3)
    for c in range(3):
        np.testing.assert_array_equal(rgb[..., c], gray)
    np.testing.assert_array_equal(preprocessing.decode_image(data, 1).numpy()[..., 0], gray)


@pytest.mark.parametrize("fmt", ["PNG", "BMP"])
def test_decode_color_as_gray_uses_bt601_luma(fmt):
    color = np.random.default_rng(0).integers(0, 256, (9, 7, 3)).astype(np.uint8)
    gray = preprocessing.decode_image(_encode(color, fmt, "RGB"), 1).numpy()[..., 0]
    luma = color.astype(np.float64) @ np.array([0.2989, 0.5870, 0.1140])
    np.testing.assert_allclose(gray, luma, atol=1.0)


def test_decode_png_with_alpha_drops_alpha():
    rgba = np.random.default_rng(1).integers(0, 256, (5, 6, 4)).astype(np.uint8)
    out = preprocessing.decode_image(_encode(rgba, "PNG", "RGBA"), 3).numpy()
    np.testing.assert_array_equal(out, rgba[..., :3])
