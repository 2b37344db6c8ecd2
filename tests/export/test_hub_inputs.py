"""A hub module loaded with `hub.load` checks its inputs before computing: numpy dtypes are
converted, and every bad shape, batch, label or value gets the module's own message."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from hypothesis import given, settings
from hypothesis import strategies as st

from compare_gan_tf.architectures import build_discriminator, build_generator
from compare_gan_tf.export import export_discriminator, export_generator
from compare_gan_tf.export.input_checks import MAX_BATCH_SIZE

NUM_CLASSES = 10
Z_DIM = 16
# The module's own messages: every InvalidArgumentError it raises starts with one of these.
OWN_MESSAGES = (
    f"z must have shape [batch, {Z_DIM}], any float or int dtype",
    "z must be finite; it holds NaN or infinite values",
    f"z holds more than MAX_BATCH_SIZE = {MAX_BATCH_SIZE} examples",
    f"labels must be int class ids in [0, {NUM_CLASSES}), shape [batch]",
)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A conditional gray generator and its D, exported, then loaded back with hub.load."""
    root = tmp_path_factory.mktemp("inputs")
    keras.utils.set_random_seed(0)
    generator = build_generator(
        "sndcgan", 32, num_classes=NUM_CLASSES, channels=1, ch=4, z_dim=Z_DIM
    )
    discriminator = build_discriminator("sndcgan", 32, num_classes=NUM_CLASSES, ch=4)
    discriminator(tf.zeros([1, 32, 32, 1]), tf.zeros([1], tf.int32))
    export_generator(generator, root / "generator")
    export_discriminator(discriminator, root / "discriminator")
    return dict(
        generator=generator,
        discriminator=discriminator,
        hub_generator=hub.load(str(root / "generator")),
        hub_discriminator=tf.saved_model.load(str(root / "discriminator")),
    )


def _expected_images(generator, z, labels):
    images = generator(tf.constant(z, tf.float32), tf.constant(labels, tf.int32), training=False)
    return np.tile(np.clip((images.numpy() + 1.0) / 2.0, 0.0, 1.0), [1, 1, 1, 3])


@pytest.mark.parametrize("z_dtype", [np.float64, np.float16, np.int64, np.int32])
@pytest.mark.parametrize("labels_dtype", [np.int64, np.int32])
def test_numpy_dtypes_are_converted(models, z_dtype, labels_dtype):
    z = np.random.default_rng(0).standard_normal([3, Z_DIM]).round().astype(z_dtype)
    labels = np.array([0, 9, 4], labels_dtype)
    images = models["hub_generator"](z, labels)["generated"].numpy()
    np.testing.assert_allclose(images, _expected_images(models["generator"], z, labels), atol=1e-6)


def test_python_lists_are_converted(models):
    z = [[0.5] * Z_DIM, [-1] * Z_DIM]
    images = models["hub_generator"](z, [3, 7])["generated"].numpy()
    np.testing.assert_allclose(
        images, _expected_images(models["generator"], np.array(z), [3, 7]), atol=1e-6
    )


def _error(call):
    with pytest.raises(tf.errors.InvalidArgumentError) as raised:
        call()
    return raised.value.message


@pytest.mark.parametrize(
    ("z_shape", "given"),
    [([2, 8], r"float64 with shape\)\] \[2 8\]"), ([2], r"\[2\]"), ([2, 1, Z_DIM], r"\[2 1 16\]")],
)
def test_a_wrong_z_shape_is_named_with_what_was_given(models, z_shape, given):
    message = _error(lambda: models["hub_generator"](np.zeros(z_shape), [1, 2]))
    assert re.search(
        r"z must have shape \[batch, 16\], any float or int dtype\] \[\(given ", message
    )
    assert re.search(given, message)


def test_labels_for_another_batch_are_named(models):
    message = _error(lambda: models["hub_generator"](np.zeros([4, Z_DIM]), [1, 2, 3]))
    assert "labels must be int class ids in [0, 10), shape [batch], one class id per example" in (
        message
    )
    assert "(given int32 with shape)] [3] [(batch)] [4]" in message


def test_int64_labels_out_of_int32_range_do_not_wrap(models):
    labels = np.array([1, 2**32 + 1], np.int64)  # would wrap to 1 as int32
    message = _error(lambda: models["hub_generator"](np.zeros([2, Z_DIM]), labels))
    assert (
        "labels must be int class ids in [0, 10), shape [batch] (given ids from, to)] "
        "[1] [4294967297]" in message
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e39])  # 1e39 is inf as float32
def test_non_finite_z_is_refused(models, bad):
    z = np.zeros([2, Z_DIM])
    z[1, 3] = bad
    message = _error(lambda: models["hub_generator"](z, [1, 2]))
    assert "z must be finite; it holds NaN or infinite values (as float32)" in message


def test_batches_over_the_maximum_are_refused(models):
    z = np.zeros([MAX_BATCH_SIZE + 1, Z_DIM], np.float32)
    labels = np.zeros([MAX_BATCH_SIZE + 1], np.int32)
    message = _error(lambda: models["hub_generator"](z, labels))
    assert "z holds more than MAX_BATCH_SIZE = 4096 examples; call the module in batches" in message
    message = _error(lambda: models["hub_generator"].sample(MAX_BATCH_SIZE + 1, 1.0, 0))
    assert "batch_size must be at most MAX_BATCH_SIZE = 4096" in message


def test_an_unsupported_dtype_gets_tensorflows_list_of_signatures(models):
    # Documented: only Z_DTYPES and LABEL_DTYPES have saved functions.
    with pytest.raises(ValueError, match="Could not find matching concrete function"):
        models["hub_generator"](np.zeros([2, Z_DIM], np.int8), [1, 2])


# --- property: random inputs give correct images or the module's own message -----------------

SHAPES = st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple) | st.sampled_from(
    [(1, Z_DIM), (3, Z_DIM), (0, Z_DIM)]
)
Z_DTYPES = st.sampled_from([np.float16, np.float32, np.float64, np.int32, np.int64])
VALUES = st.sampled_from(["normal", "huge", "nan", "inf", "zero"])


def _z(shape, dtype, values, seed):
    z = np.random.default_rng(seed).standard_normal(shape) * 2.0
    if values == "huge":
        z = z * 1e40
    elif values in ("nan", "inf") and z.size:
        z.flat[seed % z.size] = np.nan if values == "nan" else -np.inf
    elif values == "zero":
        z = np.zeros(shape)
    if np.issubdtype(dtype, np.integer):
        z = np.nan_to_num(z, posinf=0, neginf=0).clip(-1000, 1000)
    with np.errstate(over="ignore"):
        return z.astype(dtype)


@settings(max_examples=25, deadline=None)
@given(
    z_shape=SHAPES,
    z_dtype=Z_DTYPES,
    values=VALUES,
    labels_size=st.integers(0, 5),
    labels_rank2=st.booleans(),
    labels_dtype=st.sampled_from([np.int32, np.int64]),
    labels_high=st.sampled_from([NUM_CLASSES, NUM_CLASSES + 3, 2**40]),
    labels_low=st.sampled_from([0, -2]),
    seed=st.integers(0, 2**16),
)
def test_random_inputs_give_images_or_the_modules_own_message(
    models,
    z_shape,
    z_dtype,
    values,
    labels_size,
    labels_rank2,
    labels_dtype,
    labels_high,
    labels_low,
    seed,
):
    z = _z(z_shape, z_dtype, values, seed)
    if labels_dtype == np.int32:
        labels_high = min(labels_high, 2**31 - 1)
    labels = np.random.default_rng(seed).integers(labels_low, labels_high, [labels_size])
    labels = labels.astype(labels_dtype)
    if labels_rank2:
        labels = labels[:, None]
    try:
        images = models["hub_generator"](z, labels)["generated"].numpy()
    except tf.errors.InvalidArgumentError as error:
        assert any(f"assertion failed: [{own}" in error.message for own in OWN_MESSAGES), error
        return
    # Accepted: then the inputs were valid, and the images are the model's.
    assert z.shape[1:] == (Z_DIM,) and labels.shape == (z.shape[0],)
    assert np.isfinite(z.astype(np.float32)).all()
    assert labels.min(initial=0) >= 0 and labels.max(initial=0) < NUM_CLASSES
    assert images.shape == (z.shape[0], 32, 32, 3)
    assert np.isfinite(images).all() and images.min(initial=0) >= 0 and images.max(initial=1) <= 1
    np.testing.assert_allclose(images, _expected_images(models["generator"], z, labels), atol=1e-5)


# --- the discriminator reads what the generator emits ------------------------------------------


def test_discriminator_scores_the_generators_rgb_output_as_its_gray_images(models):
    z = np.random.default_rng(1).standard_normal([4, Z_DIM])
    labels = np.array([0, 3, 5, 9])
    generated = models["hub_generator"](z, labels)["generated"]  # [4, 32, 32, 3], gray tiled
    assert generated.shape == (4, 32, 32, 3)
    logits = models["hub_discriminator"](generated, labels)["logits"].numpy()
    # The reference: D itself on G's own one-channel images, mapped as the module maps them.
    gray = models["generator"](tf.constant(z, tf.float32), tf.constant(labels), training=False)
    gray01 = tf.clip_by_value((gray + 1.0) / 2.0, 0.0, 1.0)
    expected = models["discriminator"](gray01 * 2.0 - 1.0, tf.constant(labels), training=False)
    np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-5, atol=1e-6)
    one_channel = models["hub_discriminator"](generated[..., :1], labels)["logits"].numpy()
    np.testing.assert_allclose(one_channel, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_an_rgb_discriminator_tiles_gray_images(tmp_path):
    keras.utils.set_random_seed(0)
    discriminator = build_discriminator("sndcgan", 32, ch=4)
    discriminator(tf.zeros([1, 32, 32, 3]))
    export_discriminator(discriminator, tmp_path / "d")
    module = hub.load(str(tmp_path / "d"))
    gray = np.random.default_rng(2).uniform(size=[3, 32, 32, 1])
    logits = module(gray)["logits"].numpy()
    expected = discriminator(tf.constant(np.tile(gray, [1, 1, 1, 3]) * 2 - 1, tf.float32))
    np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (
            np.zeros([2, 16, 16, 3]),
            r"images must have shape \[batch, 32, 32, 1 or 3\], float\] "
            r"\[\(given float64 with shape\)\] \[2 16 16 3\]",
        ),
        (np.full([2, 32, 32, 1], 255.0), r"images must be in \[0, 1\] \(NaN is not\)"),
        (np.full([2, 32, 32, 3], np.nan), r"images must be in \[0, 1\] \(NaN is not\)"),
    ],
    ids=["size", "range", "nan"],
)
def test_discriminator_names_bad_images(models, images, message):
    error = _error(lambda: models["hub_discriminator"](images, [1, 2]))
    assert re.search(message, error)
