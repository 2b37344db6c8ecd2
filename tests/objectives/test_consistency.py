"""Augmentations against numpy, and CR/bCR/zCR against invariant D's and closed forms."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import (
    bcr,
    consistency_augment,
    cr,
    flip,
    random_flip,
    random_translation,
    translate,
    zcr_discriminator,
    zcr_generator,
)


def _images(batch=6, height=8, width=7, channels=2):
    return np.random.uniform(-1, 1, [batch, height, width, channels]).astype("float32")


def _shift_with_zeros(image, dy, dx):
    """np.roll, then zero the rows and columns that wrapped around."""
    out = np.roll(image, (dy, dx), axis=(0, 1))
    if dy > 0:
        out[:dy] = 0
    elif dy < 0:
        out[dy:] = 0
    if dx > 0:
        out[:, :dx] = 0
    elif dx < 0:
        out[:, dx:] = 0
    return out


def _shift_with_reflection(image, dy, dx):
    """np.pad in reflect mode, then crop the window moved by (dy, dx)."""
    p = max(abs(dy), abs(dx))
    padded = np.pad(image, ((p, p), (p, p), (0, 0)), mode="reflect")
    h, w = image.shape[:2]
    return padded[p - dy : p - dy + h, p - dx : p - dx + w]


REFERENCE_SHIFTS = {"zeros": _shift_with_zeros, "reflect": _shift_with_reflection}
OFFSETS = [(0, 0), (2, -1), (-3, 3), (1, 0), (-1, -6), (7, 2)]


def test_flip_mirrors_width():
    images = _images()
    np.testing.assert_array_equal(flip(images), images[:, :, ::-1])


def test_random_flip_mirrors_about_half_of_the_images():
    images = _images(batch=64)
    out = random_flip(images).numpy()
    same = np.all(out == images, axis=(1, 2, 3))
    mirrored = np.all(out == images[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(same ^ mirrored)
    assert 16 < mirrored.sum() < 48


@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_translate_matches_numpy(padding):
    images = _images()
    out = translate(images, np.array(OFFSETS), padding).numpy()
    for image, result, (dy, dx) in zip(images, out, OFFSETS, strict=True):
        np.testing.assert_array_equal(result, REFERENCE_SHIFTS[padding](image, dy, dx))


@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_random_translation_shifts_by_an_allowed_offset(padding):
    images = _images(batch=24, height=16, width=24)
    out = random_translation(images, max_fraction=0.125, padding=padding).numpy()
    shifts = []
    for image, result in zip(images, out, strict=True):
        # m = floor(0.125 * size): 2 rows and 3 columns at most.
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-3, 4)
            if np.array_equal(result, REFERENCE_SHIFTS[padding](image, dy, dx))
        ]
        assert len(matches) == 1
        shifts.append(matches[0])
    assert len(set(shifts)) > 5


def test_unknown_padding_lists_the_choices():
    with pytest.raises(ValueError, match="reflect, zeros"):
        translate(_images(), np.zeros([6, 2], "int32"), "wrap")


def _sum_of_squares_d(images, labels):
    """Invariant to flips, and to shifts with zero padding of images that are zero at the border."""
    return tf.reduce_sum(tf.square(images), axis=[1, 2, 3])[:, None]


def _asymmetric_linear_d():
    w = np.random.randn(8, 8, 1).astype("float32")
    return w, lambda images, labels: tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None]


def _bordered_images(batch=16):
    """8x8 images whose one-pixel border (the largest 1/8 shift) is zero."""
    images = np.zeros([batch, 8, 8, 1], "float32")
    images[:, 1:-1, 1:-1] = np.random.uniform(-1, 1, [batch, 6, 6, 1])
    return images


def _zero_padded_augment(images):
    return consistency_augment(images, padding="zeros")


def test_cr_vanishes_for_an_invariant_d_and_not_otherwise():
    images = _bordered_images()
    invariant = cr(_sum_of_squares_d, images, augment_fn=_zero_padded_augment)
    assert float(invariant) < 1e-8
    _, linear_d = _asymmetric_linear_d()
    assert float(cr(linear_d, images, augment_fn=_zero_padded_augment)) > 1e-2


def test_cr_and_bcr_with_a_fixed_augmentation_match_numpy():
    w, d_fn = _asymmetric_linear_d()
    real, fake = _bordered_images(), _bordered_images()

    def distance(x):
        return np.mean((np.sum(x * w, axis=(1, 2, 3)) - np.sum(x[:, :, ::-1] * w, (1, 2, 3))) ** 2)

    np.testing.assert_allclose(cr(d_fn, real, augment_fn=flip), 10.0 * distance(real), rtol=1e-5)
    real_term, fake_term = bcr(d_fn, real, fake, weight_real=2.0, weight_fake=3.0, augment_fn=flip)
    np.testing.assert_allclose(real_term, 2.0 * distance(real), rtol=1e-5)
    np.testing.assert_allclose(fake_term, 3.0 * distance(fake), rtol=1e-5)
    invariant = bcr(_sum_of_squares_d, real, fake, augment_fn=_zero_padded_augment)
    assert max(float(t) for t in invariant) < 1e-8


def _identity_generator(z, labels):
    return tf.reshape(z, [-1, 4, 4, 2])


def test_zcr_terms_match_their_expectations():
    # G(z) = z: D(G(z)) - D(G(z + dz)) = -w.dz ~ N(0, sigma^2 ||w||^2); G(z) - G(T(z)) = -dz.
    z = np.random.randn(4000, 32).astype("float32")
    w = np.random.randn(4, 4, 2).astype("float32")

    def d_fn(images, labels):
        return tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None]

    d_term = zcr_discriminator(d_fn, _identity_generator, z, weight=5.0)
    np.testing.assert_allclose(d_term, 5.0 * 0.03**2 * np.sum(w**2), rtol=0.1)
    g_term = zcr_generator(_identity_generator, z, weight=0.5)
    np.testing.assert_allclose(g_term, -0.5 * 0.03**2, rtol=0.03)


def test_zcr_vanishes_when_g_ignores_z():
    images = _images(batch=8, height=4, width=4)
    w = np.random.randn(4, 4, 2).astype("float32")

    def d_fn(x, labels):
        return tf.reduce_sum(x * w, axis=[1, 2, 3])[:, None]

    def constant_g(z, labels):
        return tf.constant(images)

    z = np.random.randn(8, 16).astype("float32")
    assert float(zcr_discriminator(d_fn, constant_g, z)) == 0.0
    assert float(zcr_generator(constant_g, z)) == 0.0
