"""ADA's full "bgc" pipeline: each new transform against numpy, scipy or a closed form, its
gating, gradients, p = 0, seeds, and the choice of pipeline."""

import gin
import numpy as np
import pytest
import scipy.ndimage
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import AdaptiveAugment, GANObjective
from compare_gan_tf.objectives.ada import ADA_PIPELINES, BGC_TRANSFORMS
from compare_gan_tf.objectives.ada_color import (
    apply_color,
    brightness_matrix,
    contrast_matrix,
    flip_luma,
    hue_matrix,
    luma_flip_matrix,
    rotate_hue,
    saturation_matrix,
)
from compare_gan_tf.objectives.ada_transforms import (
    rotate,
    rotation_inverse,
    scale,
    scale_anisotropic,
    scaling_inverse,
    translate_fractional,
    translation_inverse,
    warp,
)
from compare_gan_tf.objectives.augmentation import adjust_brightness, adjust_saturation

NEW = ("rotate", "aniso", "xfrac", "lumaflip", "hue")


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _centred(height, width):
    """Row and column offsets of every pixel from the image centre, [H, W] each."""
    rows, cols = np.indices([height, width]).astype("float64")
    return rows - (height - 1) / 2, cols - (width - 1) / 2


def _bgc_only(transform, p, **kwargs):
    """A "bgc" AdaptiveAugment with one transform on (multiplier 1) and the others off."""
    multipliers = {name: 0.0 for name in BGC_TRANSFORMS}
    multipliers[transform] = 1.0
    return AdaptiveAugment(batch_size=8, initial_p=p, pipeline="bgc", **multipliers, **kwargs)


def test_warp_matches_scipy_bilinear_sampling_with_mirrored_borders():
    # Reference: scipy's order-1 interpolation ("mirror": the edge pixel not repeated) at the
    # 2 x 2 sub-samples u +- 1/4 of every output pixel, averaged; non-square, all pixels.
    images = _images([3, 9, 11, 2])
    rng = np.random.default_rng(1)
    inverse = (
        rotation_inverse(rng.uniform(-np.pi, np.pi, 3).astype("float32"))
        @ scaling_inverse(np.array([0.7, 1.0, 1.4], "float32"), np.array([1.2, 0.8, 1.0]))
        @ translation_inverse(rng.uniform(-3, 3, [3, 2]).astype("float32"))
    ).numpy()
    out = warp(images, inverse).numpy()
    rows, cols = _centred(9, 11)
    for image, matrix, result in zip(images, inverse, out):
        expected = np.zeros_like(result, dtype="float64")
        for dy in (-0.25, 0.25):
            for dx in (-0.25, 0.25):
                u = np.stack([rows + dy, cols + dx, np.ones_like(rows)])
                source = np.einsum("ij,jhw->ihw", matrix, u)[:2]
                source += np.array([4.0, 5.0])[:, None, None]
                for channel in range(2):
                    expected[..., channel] += scipy.ndimage.map_coordinates(
                        image[..., channel].astype("float64"), source, order=1, mode="mirror"
                    )
        np.testing.assert_allclose(result, expected / 4, atol=2e-5)


def test_rotate_turns_content_by_the_angle():
    size = 32
    rows, cols = _centred(size, size)
    rng = np.random.default_rng(2)
    angles = rng.uniform(-np.pi, np.pi, 6).astype("float32")
    # A smooth blob 6 px below and 4 px right of the centre: its centroid lands where a
    # counter-clockwise turn by theta (as displayed, rows down) puts that point. Within the
    # disc measured, every output pixel reads inside the image (no mirrored copies).
    blob = np.exp(-((rows - 6) ** 2 + (cols - 4) ** 2) / (2 * 1.2**2)).astype("float32")
    turned = rotate(np.repeat(blob[None, ..., None], 6, axis=0), angles).numpy()[..., 0]
    disc = np.hypot(rows, cols) <= 15
    for angle, result in zip(angles, turned):
        result = np.where(disc, result, 0.0)
        centroid = [(result * axis).sum() / result.sum() for axis in (rows, cols)]
        expected = [6 * np.cos(angle) - 4 * np.sin(angle), 4 * np.cos(angle) + 6 * np.sin(angle)]
        np.testing.assert_allclose(centroid, expected, atol=0.01)
    # A linear ramp a.u becomes a.(M u), M the inverse rotation, exactly where every
    # sub-sample reads inside the image.
    ramp = (0.3 * rows - 0.7 * cols).astype("float32")[None, ..., None]
    out = rotate(np.repeat(ramp, 6, axis=0), angles).numpy()[..., 0]
    inside = np.hypot(rows, cols) + 0.36 <= (size - 1) / 2
    for angle, result in zip(angles, out):
        source_rows = rows * np.cos(angle) + cols * np.sin(angle)
        source_cols = -rows * np.sin(angle) + cols * np.cos(angle)
        expected = 0.3 * source_rows - 0.7 * source_cols
        np.testing.assert_allclose(result[inside], expected[inside], atol=2e-5)
    # A quarter turn is numpy's rot90 (blit's convention), blurred by [1, 6, 1] / 8 per axis.
    images = _images([2, 7, 7, 1])
    kernel = np.array([1.0, 6.0, 1.0]) / 8
    expected = np.rot90(images, 1, axes=(1, 2))
    for axis in (1, 2):
        expected = scipy.ndimage.convolve1d(expected, kernel, axis=axis, mode="mirror")
    np.testing.assert_allclose(rotate(images, [np.pi / 2] * 2), expected, atol=2e-6)


def test_anisotropic_scale_stretches_across_and_shrinks_down():
    height, width = 16, 20
    rows, cols = _centred(height, width)
    ramp = (0.5 * rows + 0.25 * cols).astype("float32")[None, ..., None]
    factors = np.array([1.0, 1.3, 0.75, 1.6], "float32")
    out = scale_anisotropic(np.repeat(ramp, 4, axis=0), factors).numpy()[..., 0]
    for factor, result in zip(factors, out):
        # Width grows by s, height shrinks by s: the output at (y, x) reads (s y, x / s).
        inside = (np.abs(rows) + 0.25) * factor <= (height - 1) / 2
        inside &= (np.abs(cols) + 0.25) / factor <= (width - 1) / 2
        expected = 0.5 * factor * rows + 0.25 * cols / factor
        np.testing.assert_allclose(result[inside], expected[inside], atol=2e-5)
    # The isotropic case of the same resampling is the subset's `scale`.
    images = _images([4, 10, 10, 2])
    np.testing.assert_allclose(
        warp(images, scaling_inverse(factors, factors)), scale(images, factors), atol=1e-6
    )


def test_fractional_translation_shifts_a_smooth_image_by_the_offset():
    size = 20
    rows, cols = np.indices([size, size]).astype("float64")

    def smooth(r, c):
        return np.sin(0.35 * r + 0.2 * c) + 0.5 * np.cos(0.25 * c - 0.1 * r)

    offsets = np.random.default_rng(3).uniform(-2.5, 2.5, [5, 2]).astype("float32")
    image = smooth(rows, cols).astype("float32")[None, ..., None]
    out = translate_fractional(np.repeat(image, 5, axis=0), offsets).numpy()[..., 0]
    inside = (np.minimum(rows, cols) >= 3) & (np.maximum(rows, cols) <= size - 4)
    for (dy, dx), result in zip(offsets, out):
        # Content moves down by dy and right by dx: the output at u is the input at u - t,
        # up to the bilinear and sub-sample blur of a slowly varying image.
        expected = smooth(rows - dy, cols - dx)
        error = np.abs(result - expected)[inside].max()
        assert error < 0.03, error
        assert np.abs(image[0, ..., 0] - expected)[inside].max() > 10 * error


def test_luma_flip_is_an_involution_that_negates_luma_only():
    images = _images([4, 5, 6, 3])
    flips = np.array([1, 0, 1, 1])
    out = flip_luma(images, flips).numpy()
    mean = images.mean(axis=3, keepdims=True)
    flipped = flips[:, None, None, None] == 1
    # Householder reflection about the plane orthogonal to (1, 1, 1): x - 2 mean_c(x).
    np.testing.assert_allclose(out, np.where(flipped, images - 2 * mean, images), atol=1e-6)
    np.testing.assert_allclose(
        out.mean(axis=3), np.where(flipped[..., 0], -1, 1) * mean[..., 0], atol=1e-6
    )
    np.testing.assert_allclose(flip_luma(out, flips), images, atol=1e-6)
    np.testing.assert_array_equal(out[1], images[1])
    grey = images[..., :1]
    np.testing.assert_allclose(flip_luma(grey, flips), np.where(flipped, -grey, grey), atol=1e-6)


def test_hue_rotation_turns_colours_about_the_luma_axis():
    images = _images([5, 4, 4, 3])
    angles = np.random.default_rng(4).uniform(-np.pi, np.pi, 5).astype("float32")
    out = rotate_hue(images, angles).numpy()
    mean = images.mean(axis=3, keepdims=True)
    # Luma (the channel mean) and the chroma norm are kept; the chroma turns by theta.
    np.testing.assert_allclose(out.mean(axis=3, keepdims=True), mean, atol=1e-6)
    chroma, turned = images - mean, out - out.mean(axis=3, keepdims=True)
    np.testing.assert_allclose(
        np.linalg.norm(turned, axis=3), np.linalg.norm(chroma, axis=3), atol=1e-5
    )
    cosines = (chroma * turned).sum(axis=3) / (chroma**2).sum(axis=3)
    np.testing.assert_allclose(
        cosines, np.broadcast_to(np.cos(angles)[:, None, None], [5, 4, 4]), atol=1e-4
    )
    full_turn = np.full(5, 2 * np.pi, "float32")
    np.testing.assert_allclose(rotate_hue(images, full_turn), images, atol=1e-6)
    np.testing.assert_allclose(rotate_hue(out, -angles), images, atol=1e-6)
    # A third of a turn about (1, 1, 1) sends red to green, green to blue, blue to red.
    third = rotate_hue(images, np.full(5, 2 * np.pi / 3, "float32"))
    np.testing.assert_allclose(third, images[..., [2, 0, 1]], atol=1e-6)
    grey = images[..., :1]
    assert rotate_hue(grey, angles) is grey


def test_colour_matrices_compose_in_the_reference_order():
    images = _images([4, 3, 3, 3])
    rng = np.random.default_rng(5)
    b, c, s, theta = rng.normal(size=[4, 4]).astype("float32")
    i = np.array([1.0, 0.0, 1.0, 0.0], "float32")
    # The code's C = S H L K B, applied at once, against one transform after another.
    matrices = [brightness_matrix(b), contrast_matrix(c), luma_flip_matrix(i)]
    matrices += [hue_matrix(theta), saturation_matrix(s)]
    color = tf.eye(4, batch_shape=[4])
    for matrix in matrices:
        color = matrix @ color
    expected = adjust_brightness(images, b) * c[:, None, None, None]
    expected = rotate_hue(flip_luma(expected, i), theta)
    expected = adjust_saturation(expected, s)
    np.testing.assert_allclose(apply_color(images, color), expected, atol=1e-5)
    # One channel: the mean of the three outputs of grey (x, x, x).
    grey = images[..., :1]
    rgb = apply_color(np.repeat(grey, 3, axis=3), color).numpy()
    np.testing.assert_allclose(apply_color(grey, color), rgb.mean(axis=3, keepdims=True), atol=1e-5)


_WITH_PARAMETERS = {
    "rotate": lambda x: rotate(x, [0.3, -2.0, 1.1, 2.9]),
    "aniso": lambda x: scale_anisotropic(x, [1.2, 0.8, 1.5, 0.9]),
    "xfrac": lambda x: translate_fractional(x, [[0.4, -1.3], [2.2, 0.1], [-0.6, 0.5], [1, 1]]),
    "lumaflip": lambda x: flip_luma(x, [1, 1, 1, 1]),
    "hue": lambda x: rotate_hue(x, [0.5, -1.0, 2.0, 3.0]),
    "bgc": lambda x: AdaptiveAugment(batch_size=4, initial_p=1.0, pipeline="bgc")(x, seed=3),
}


@pytest.mark.parametrize("name", list(_WITH_PARAMETERS))
def test_gradients_through_each_new_transform_are_finite_and_non_zero(name):
    images = tf.constant(_images([4, 12, 12, 3]))
    weights = tf.constant(_images([4, 12, 12, 3], seed=9))
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(_WITH_PARAMETERS[name](images) * weights)
    gradient = tape.gradient(loss, images).numpy()
    assert np.isfinite(gradient).all()
    assert (gradient != 0).mean() > 0.3


@pytest.mark.parametrize("transform", NEW)
def test_each_new_transform_is_drawn_with_probability_p(transform):
    # Asymmetric images change under any drawn transform; luma flip is then drawn with
    # probability 1/2 (the code); rotate is drawn twice with 1 - sqrt(1 - p) each, at least
    # once with probability p.
    images = np.repeat(_images([1, 8, 8, 3]) + 0.5, 2000, axis=0)
    for p in (0.0, 0.5):
        out = _bgc_only(transform, p)(images, seed=21).numpy()
        changed = np.abs(out - images).max(axis=(1, 2, 3)) > 1e-5
        expected = p / 2 if transform == "lumaflip" else p
        assert abs(changed.mean() - expected) < 0.04, (p, changed.mean())


def test_fractional_translation_draws_size_over_8_per_axis():
    # Channels hold the row and column offsets from the centre: at the centre pixel the
    # output is minus the drawn shift (exact for shifts within the image).
    rows, cols = _centred(16, 16)
    ramps = np.stack([rows, cols], axis=-1).astype("float32")
    out = _bgc_only("xfrac", 1.0)(np.repeat(ramps[None], 2000, axis=0), seed=4).numpy()
    shifts = -out[:, 7:9, 7:9].mean(axis=(1, 2))
    assert np.abs(shifts.mean(axis=0)).max() < 0.15
    np.testing.assert_allclose(shifts.std(axis=0), [2.0, 2.0], rtol=0.06)  # 16 px / 8


@pytest.mark.parametrize("channels", [1, 3])
def test_bgc_at_p_zero_is_the_identity(channels):
    images = _images([6, 10, 10, channels])
    ada = AdaptiveAugment(batch_size=6, pipeline="bgc")
    np.testing.assert_array_equal(ada(images), images)
    np.testing.assert_array_equal(ada(images, seed=2), images)


def test_seeded_bgc_reproduces_in_and_out_of_tf_function():
    images = _images([6, 12, 12, 3])
    ada = AdaptiveAugment(batch_size=6, initial_p=0.7, pipeline="bgc")
    seed = tf.constant([5, 2**33], tf.int64)
    eager = ada(images, seed=seed).numpy()
    np.testing.assert_array_equal(ada(images, seed=seed), eager)
    traced = tf.function(lambda x, s: ada(x, seed=s))
    np.testing.assert_allclose(traced(images, seed), eager, rtol=1e-5, atol=1e-5)  # same draws
    ada.p.assign(0.0)
    np.testing.assert_array_equal(traced(images, seed), images)  # p = 0 traced: the identity
    assert not np.allclose(ada(images, seed=6), eager)
    assert not np.allclose(eager, images)


@pytest.mark.slow  # XLA compiles the 20 draws of bgc in 6-10 s on 2 cores.
def test_seeded_bgc_draws_the_same_under_xla():
    images = _images([6, 8, 8, 3])
    ada = AdaptiveAugment(batch_size=6, initial_p=0.7, pipeline="bgc")
    seed = tf.constant([5, 2**33], tf.int64)
    eager = ada(images, seed=seed).numpy()
    compiled = tf.function(lambda x, s: ada(x, seed=s), jit_compile=True)(images, seed)
    # Same draws; XLA may reassociate the float arithmetic around them.
    np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-5)


def test_pipeline_choice_defaults_and_refusals(clean_gin):
    subset = AdaptiveAugment(batch_size=8)
    assert subset.pipeline == "bgc_subset" and set(ADA_PIPELINES) == {"bgc_subset", "bgc"}
    assert [subset.multipliers[name] for name in NEW] == [0.0] * 5
    AdaptiveAugment(batch_size=8, rotate=0.0, hue=0)  # zeros outside the pipeline are fine
    gin.bind_parameter("AdaptiveAugment.pipeline", "bgc")
    gin.bind_parameter("AdaptiveAugment.hue", 0.5)
    full = AdaptiveAugment(batch_size=8)
    assert full.multipliers == {name: 0.5 if name == "hue" else 1.0 for name in BGC_TRANSFORMS}
    with pytest.raises(ConfigError, match="AdaptiveAugment.rotate90 = 0 .*rotate = 0"):
        GANObjective(self_supervision="rotation_gan", augment="ada").build(8)
    gin.clear_config()
    with pytest.raises(
        ConfigError,
        match=r"AdaptiveAugment.pipeline 'BGC'; use one of "
        r"bgc_subset, bgc\.",
    ):
        AdaptiveAugment(batch_size=8, pipeline="BGC")
    with pytest.raises(ConfigError, match=r"AdaptiveAugment.aniso = 1: .*'bgc_subset'"):
        AdaptiveAugment(batch_size=8, aniso=1)
    with pytest.raises(ValueError, match="RGB or one-channel"):
        AdaptiveAugment(batch_size=2, pipeline="bgc")(_images([2, 8, 8, 4]))
