"""DiffAugment and ADA: exact pixel moves, closed-form color ops, gradients, p, replicas."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.objectives import AdaptiveAugment, diff_augment
from compare_gan_tf.objectives.augmentation import (
    ADA_TRANSFORMS,
    adjust_brightness,
    adjust_contrast,
    adjust_saturation,
    blit,
    cutout,
    scale,
)


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _shift_with_zeros(image, dy, dx):
    """numpy reference: content moves down by dy and right by dx; vacated pixels are 0."""
    height, width = image.shape[:2]
    out = np.zeros_like(image)
    out[max(0, dy) : height + min(0, dy), max(0, dx) : width + min(0, dx)] = image[
        max(0, -dy) : height + min(0, -dy), max(0, -dx) : width + min(0, -dx)
    ]
    return out


def _ada_only(transform, p, **kwargs):
    """An AdaptiveAugment with one transform on (multiplier 1) and the others off."""
    multipliers = {name: 0.0 for name in ADA_TRANSFORMS}
    multipliers[transform] = 1.0
    return AdaptiveAugment(batch_size=8, initial_p=p, **multipliers, **kwargs)


# DiffAugment.


def test_empty_policy_is_the_identity_for_any_input():
    images = _images([3, 8, 8, 3])
    assert diff_augment(images, "") is images
    points = tf.zeros([5, 2])
    assert diff_augment(points, policy="") is points


def test_points_and_unknown_policies_raise_clear_errors():
    with pytest.raises(ValueError, match='turn it off with policy=""'):
        diff_augment(tf.zeros([16, 2]))
    with pytest.raises(ValueError, match="build no AdaptiveAugment"):
        AdaptiveAugment(batch_size=16)(tf.zeros([16, 2]))
    with pytest.raises(ValueError, match="Unknown DiffAugment policy 'colour'"):
        diff_augment(_images([2, 8, 8, 3]), "colour,translation")
    with pytest.raises(ValueError, match="rotate90=0"):
        AdaptiveAugment(batch_size=2)(_images([2, 8, 12, 3]))


def test_translation_moves_a_bright_pixel_by_the_drawn_offset():
    # 16 px: shifts in [-2, 2]. A background of ones shows the zero fill of vacated pixels.
    image = np.ones([16, 16, 2], "float32")
    image[7, 9] = 5.0
    batch = np.repeat(image[None], 64, axis=0)
    moved = diff_augment(batch, "translation", seed=3).numpy()
    offsets = set()
    for out in moved:
        row, col = np.argwhere(out[..., 0] == 5.0)[0]
        dy, dx = row - 7, col - 9
        assert abs(dy) <= 2 and abs(dx) <= 2
        np.testing.assert_array_equal(out, _shift_with_zeros(image, dy, dx))
        offsets.add((dy, dx))
    assert {dy for dy, _ in offsets} == set(range(-2, 3))
    assert {dx for _, dx in offsets} == set(range(-2, 3))


def test_cutout_primitive_zeroes_the_stated_rectangle():
    images = _images([3, 9, 10, 2]) + 3.0  # no zeros of their own
    centres = np.array([[4, 5], [0, 0], [9, 3]])
    out = cutout(images, centres, (4, 5)).numpy()
    for image, result, (row, col) in zip(images, out, centres):
        mask = np.zeros([9, 10], bool)
        mask[max(0, row - 2) : row + 2, max(0, col - 2) : col + 3] = True
        np.testing.assert_array_equal(result[mask], 0.0)
        np.testing.assert_array_equal(result[~mask], image[~mask])
    assert (out[0] == 0).all(axis=-1).sum() == 4 * 5  # fully inside: the whole rectangle


def test_cutout_policy_zeroes_one_half_size_rectangle_per_image():
    height, width = 12, 10
    out = diff_augment(np.ones([300, height, width, 3], "float32"), "cutout", seed=5).numpy()
    full = 0
    for result in out:
        zero = result[..., 0] == 0
        np.testing.assert_array_equal(zero[..., None] & (result != 0), False)  # all channels
        rows, cols = np.flatnonzero(zero.any(axis=1)), np.flatnonzero(zero.any(axis=0))
        assert rows.size and cols.size
        # One rectangle: contiguous rows and columns, and every pixel of their product.
        assert rows[-1] - rows[0] + 1 == rows.size and cols[-1] - cols[0] + 1 == cols.size
        np.testing.assert_array_equal(zero, np.outer(zero.any(axis=1), zero.any(axis=0)))
        assert rows.size <= height // 2 and cols.size <= width // 2
        if rows[0] > 0 and rows[-1] < height - 1:
            assert rows.size == height // 2
        if cols[0] > 0 and cols[-1] < width - 1:
            assert cols.size == width // 2
        full += zero.sum() == (height // 2) * (width // 2)
        np.testing.assert_array_equal(result[~zero], 1.0)
    assert 0 < full < len(out)  # whole rectangles and some clipped by the border


def test_color_ops_match_their_closed_forms():
    images = _images([4, 5, 6, 3])
    factors = np.random.default_rng(1).uniform(0, 2, 4).astype("float32")
    column = factors[:, None, None, None]
    np.testing.assert_allclose(adjust_brightness(images, factors), images + column, rtol=1e-6)
    pixel_mean = images.mean(axis=3, keepdims=True)
    np.testing.assert_allclose(
        adjust_saturation(images, factors),
        pixel_mean + column * (images - pixel_mean),
        rtol=1e-5,
        atol=1e-6,
    )
    image_mean = images.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(
        adjust_contrast(images, factors),
        image_mean + column * (images - image_mean),
        rtol=1e-5,
        atol=1e-6,
    )
    ones = np.ones(4, "float32")
    for op in (adjust_saturation, adjust_contrast):
        np.testing.assert_array_equal(op(images, ones), images)  # exact identity
    gray = images[..., :1]
    np.testing.assert_array_equal(adjust_saturation(gray, factors), gray)


def test_color_policy_draws_the_reference_ranges():
    # One channel (saturation is then the identity). A zero image becomes its brightness b; a
    # zero-mean +-1 checkerboard becomes b + c * pattern, which exposes the contrast c.
    count = 4000
    zero = diff_augment(np.zeros([count, 4, 4, 1], "float32"), "color", seed=7).numpy()
    brightness = zero[:, 0, 0, 0]
    np.testing.assert_array_equal(
        zero, np.broadcast_to(brightness[:, None, None, None], zero.shape)
    )
    assert brightness.min() >= -0.5 and brightness.max() < 0.5
    assert abs(brightness.mean()) < 0.02 and abs(brightness.std() - 12**-0.5) < 0.01
    pattern = np.where(np.indices([4, 4]).sum(axis=0) % 2 == 0, 1.0, -1.0).astype("float32")
    checker = np.broadcast_to(pattern[None, :, :, None], [count, 4, 4, 1])
    out = diff_augment(checker, "color", seed=8).numpy()
    contrast = (out[:, 0, 0, 0] - out.mean(axis=(1, 2, 3))) / pattern[0, 0]
    assert contrast.min() >= 0.5 - 1e-5 and contrast.max() < 1.5 + 1e-5
    assert abs(contrast.mean() - 1.0) < 0.02


def test_seeded_draws_are_reproducible_and_match_inside_tf_function():
    images = _images([6, 16, 16, 3])
    eager = diff_augment(images, seed=11)
    np.testing.assert_array_equal(diff_augment(images, seed=11), eager)
    compiled = tf.function(lambda x: diff_augment(x, seed=11))(images)
    np.testing.assert_allclose(compiled, eager, atol=1e-6)
    assert not np.allclose(diff_augment(images, seed=12), eager)


# ADA.


@pytest.mark.parametrize("channels", [1, 3])
def test_ada_at_p_zero_is_the_identity(channels):
    images = _images([8, 16, 16, channels])
    ada = AdaptiveAugment(batch_size=8)
    np.testing.assert_array_equal(ada(images), images)
    np.testing.assert_array_equal(tf.function(ada)(images), images)


def test_blit_matches_numpy_flip_rot90_and_reflected_shift():
    images = _images([6, 7, 7, 2])
    flips = np.array([0, 1, 0, 1, 1, 0])
    turns = np.array([0, 0, 1, 2, 3, 3])
    offsets = np.array([[0, 0], [1, -2], [-1, 0], [0, 2], [-2, -1], [3, 1]])
    out = blit(images, flips, turns, offsets).numpy()
    for image, flip, turn, (dy, dx), result in zip(images, flips, turns, offsets, out):
        expected = np.rot90(image[:, ::-1] if flip else image, turn, axes=(0, 1))
        padded = np.pad(expected, [(3, 3), (3, 3), (0, 0)], mode="reflect")
        expected = padded[3 - dy : 3 - dy + 7, 3 - dx : 3 - dx + 7]
        np.testing.assert_array_equal(result, expected)


def test_scale_matches_the_closed_form_on_a_linear_ramp():
    size = 16
    centre = (size - 1) / 2
    rows, cols = np.indices([size, size]) - centre
    ramp = (rows + 2.0 * cols).astype("float32")[None, :, :, None]
    factors = np.array([1.0, 1.25, 1.6, 0.8], "float32")
    out = scale(np.repeat(ramp, 4, axis=0), factors).numpy()[..., 0]
    for result, factor in zip(out, factors):
        # Content grows by s about the centre: the ramp's slope divides by s. Where every
        # sub-sample reads inside the image (all pixels when s >= 1) this is exact.
        inside = np.maximum(np.abs(rows), np.abs(cols)) + 0.25 <= factor * centre
        np.testing.assert_allclose(result[inside], ramp[0, ..., 0][inside] / factor, atol=1e-5)


@pytest.mark.parametrize("transform", ["brightness", "contrast", "scale", "xflip"])
def test_each_transform_is_drawn_with_probability_p(transform):
    # Images with no symmetry, so any transform that is drawn changes them; x-flip is drawn
    # with probability p and then flips with probability 1/2 (the ADA code).
    images = np.repeat(_images([1, 8, 8, 1]) + 0.5, 4000, axis=0)
    for p in (0.0, 0.5, 1.0):
        out = _ada_only(transform, p)(images, seed=21).numpy()
        changed = np.abs(out - images).max(axis=(1, 2, 3)) > 1e-6
        expected = p / 2 if transform == "xflip" else p
        assert abs(changed.mean() - expected) < 0.03, (p, changed.mean())


def test_ada_translation_and_rotation_stay_pixel_exact():
    images = _images([64, 8, 8, 3])
    for transform in ("translation", "rotate90", "xflip"):
        out = _ada_only(transform, 1.0)(images, seed=2).numpy()
        # Blitting only moves pixels: each output image is a rearrangement (with mirrored
        # copies) of its input's pixel values.
        for image, result in zip(images, out):
            assert np.isin(result, image).all()
    rotated = _ada_only("rotate90", 1.0)(images, seed=4).numpy()
    matches = [
        [np.array_equal(result, np.rot90(image, k, axes=(0, 1))) for k in range(4)]
        for image, result in zip(images, rotated)
    ]
    assert all(sum(row) == 1 for row in matches)
    assert {row.index(True) for row in matches} == {0, 1, 2, 3}


def _policies():
    cases = [("diff", policy) for policy in ("color", "translation", "cutout")]
    cases.append(("diff", "color,translation,cutout"))
    cases += [("ada", transform) for transform in ADA_TRANSFORMS]
    cases.append(("ada", "all"))
    return cases


@pytest.mark.parametrize("kind, name", _policies())
def test_gradients_are_finite_and_non_zero_through_every_transform(kind, name):
    images = tf.constant(_images([8, 16, 16, 3]))
    weights = tf.constant(_images([8, 16, 16, 3], seed=9))
    if kind == "diff":
        augment = lambda x: diff_augment(x, name, seed=1)  # noqa: E731
    elif name == "all":
        augment = lambda x: AdaptiveAugment(batch_size=8, initial_p=1.0)(x, seed=1)  # noqa: E731
    else:
        augment = lambda x: _ada_only(name, 1.0)(x, seed=1)  # noqa: E731
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(augment(images) * weights)
    gradient = tape.gradient(loss, images).numpy()
    assert np.isfinite(gradient).all()
    assert (gradient != 0).mean() > 0.3


def test_update_moves_p_toward_the_target_and_clips_to_0_and_1():
    ada = AdaptiveAugment(batch_size=64)
    # The paper's and the code's speed: 64 images x 4 steps / 500k images per unit of p.
    assert ada.adjustment == pytest.approx(64 * 4 / 500_000)
    fast = AdaptiveAugment(batch_size=64, interval=4, ada_kimg=1.0)  # 0.256 per update
    np.testing.assert_allclose(fast.update(0.9), 0.256)  # r_t above 0.6: p rises
    np.testing.assert_allclose(fast.r_t.numpy(), 0.9)
    for _ in range(5):
        fast.update(1.0)
    assert fast.p.numpy() == 1.0
    np.testing.assert_allclose(fast.update(0.1), 0.744, rtol=1e-6)  # below target: p falls
    np.testing.assert_allclose(fast.update(0.6), 0.744, rtol=1e-6)  # at target: unchanged
    for _ in range(5):
        fast.update(-1.0)
    assert fast.p.numpy() == 0.0


def test_accumulate_then_update_uses_the_mean_sign_of_real_logits():
    ada = AdaptiveAugment(batch_size=4, interval=2, ada_kimg=0.1)  # 0.08 per update
    ada.accumulate(tf.constant([[2.0], [0.5], [-1.0], [3.0]]))
    ada.accumulate(tf.constant([[1.0], [1.0], [1.0], [-0.1]]))
    p = ada.update()
    np.testing.assert_allclose(ada.r_t.numpy(), 0.5)  # (2 + 2) / 8
    np.testing.assert_allclose(p, 0.0)  # 0.5 < 0.6: p falls, clipped at 0
    assert ada.sign_sum.numpy() == 0.0 and ada.sign_count.numpy() == 0.0
    ada.accumulate(tf.ones([4, 1]))
    np.testing.assert_allclose(ada.update(), 0.08)


def test_runs_under_mirrored_strategy(mirrored_strategy):
    strategy = mirrored_strategy
    replicas = strategy.num_replicas_in_sync
    global_batch = 4 * replicas
    with strategy.scope():
        ada = AdaptiveAugment(batch_size=global_batch, interval=1, ada_kimg=global_batch / 100)
    images = _images([global_batch, 16, 16, 3])
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(global_batch)
    batch = next(iter(strategy.experimental_distribute_dataset(dataset)))

    @tf.function
    def step(batch, update_in_replica):
        def replica_fn(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                augmented = diff_augment(ada(x), "color,translation,cutout")
                loss = tf.reduce_sum(augmented)
            ada.accumulate(tf.ones([tf.shape(x)[0], 1]))  # r_t = 1, above the target
            if update_in_replica:
                ada.update()
            gradient = tape.gradient(loss, x)
            return tf.reduce_sum(tf.cast(tf.math.is_finite(gradient), tf.float32))

        finite = strategy.run(replica_fn, args=(batch,))
        if not update_in_replica:
            ada.update()
        return strategy.reduce(tf.distribute.ReduceOp.SUM, finite, axis=None)

    assert step(batch, False).numpy() == images.size
    np.testing.assert_allclose(ada.p.numpy(), 0.1)  # global_batch / (ada_kimg * 1000)
    assert step(batch, True).numpy() == images.size
    np.testing.assert_allclose(ada.p.numpy(), 0.2, rtol=1e-6)
    values = strategy.experimental_local_results(ada.p)
    assert len(values) == replicas and len({float(v.numpy()) for v in values}) == 1
    np.testing.assert_allclose(ada.r_t.numpy(), 1.0)


def test_p_and_r_t_are_checkpointed_and_gin_configurable(tmp_path):
    gin.clear_config()
    try:
        gin.bind_parameter("AdaptiveAugment.target", 0.7)
        ada = AdaptiveAugment(batch_size=8, initial_p=0.3)
    finally:
        gin.clear_config()
    assert ada.target == 0.7
    ada.update(0.9)
    path = tf.train.Checkpoint(augment=ada).save(str(tmp_path / "ckpt"))
    restored = AdaptiveAugment(batch_size=8)
    tf.train.Checkpoint(augment=restored).restore(path).assert_existing_objects_matched()
    assert restored.p.numpy() == ada.p.numpy() and restored.r_t.numpy() == np.float32(0.9)
