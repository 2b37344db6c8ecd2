"""Folders of PNGs written here: labels from subfolders, pixel values, errors, bad files."""

import dataclasses
import io
import logging
import struct
import uuid
import zlib

import gin
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from compare_gan_tf.data import DatasetError, DatasetNotFoundError, dataset_info, make_dataset


@pytest.fixture(autouse=True)
def _clear_gin():
    gin.clear_config()
    yield
    gin.clear_config()


def _write(path, array, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, fmt)


def _flat(value, shape=(20, 20, 3)):
    return np.full(shape, value, np.uint8)


def _everything(name, split="train", **kwargs):
    batches = make_dataset(name, split, 100, shuffle=False, repeat=False, **kwargs)
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    return images, labels


def _two_classes(root):
    # Class "cats" (0): values 10, 20; class "dogs" (1): 200, and one nested deeper.
    _write(root / "cats" / "a.png", _flat(10))
    _write(root / "cats" / "b.png", _flat(20))
    _write(root / "dogs" / "c.png", _flat(200))
    _write(root / "dogs" / "puppies" / "d.png", _flat(230))


def test_labels_come_from_sorted_subfolders_and_values_are_scaled(tmp_path):
    _two_classes(tmp_path)
    gin.bind_parameter("image_folder.labels", True)
    images, labels = _everything(f"folder:{tmp_path}", resolution=8)
    assert images.shape == (4, 8, 8, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    # A flat image stays flat through crop and resize: v -> v / 127.5 - 1.
    expected = np.array([10, 20, 200, 230]) / 127.5 - 1.0
    np.testing.assert_allclose(
        images.reshape(4, -1), expected[:, None] * np.ones((1, 192)), atol=1e-5
    )
    info = dataset_info(f"folder:{tmp_path}", resolution=8)
    assert info.num_classes == 2 and info.num_examples == {"train": 4, "eval": 4}


def test_without_labels_every_label_is_zero(tmp_path):
    _two_classes(tmp_path)
    _, labels = _everything(f"folder:{tmp_path}", resolution=8)
    np.testing.assert_array_equal(labels, 0)
    assert dataset_info(f"folder:{tmp_path}").num_classes == 0


def test_non_square_image_is_centre_cropped_and_resized(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (30, 50, 3)).astype(np.uint8)
    _write(tmp_path / "x.png", image)
    ours, _ = _everything(f"folder:{tmp_path}", resolution=12)
    square = image[:, 10:40].astype(np.float32)
    expected = np.stack(
        [
            np.asarray(Image.fromarray(square[..., c], mode="F").resize((12, 12), Image.BILINEAR))
            for c in range(3)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(ours[0], expected / 127.5 - 1.0, atol=1e-5)


def test_grayscale_option_and_mixed_formats(tmp_path):
    _write(tmp_path / "gray.png", _flat(100, (16, 16)))
    _write(tmp_path / "color.bmp", _flat(60))
    _write(tmp_path / "anim.GIF", _flat(30, (16, 16)))
    _write(tmp_path / "photo.jpg", _flat(128))
    (tmp_path / "notes.txt").write_text("not an image")
    gin.bind_parameter("image_folder.channels", 1)
    images, _ = _everything(f"folder:{tmp_path}", resolution=8)
    assert images.shape == (4, 8, 8, 1)
    # Sorted: anim.GIF, color.bmp, gray.png, photo.jpg (JPEG is lossy: 1 level of slack).
    np.testing.assert_allclose(
        images[:, 0, 0, 0], np.array([30, 60, 100, 128]) / 127.5 - 1.0, atol=1.5 / 127.5
    )


def test_empty_and_missing_folders_raise_clear_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "readme.md").write_text("no images here")
    with pytest.raises(DatasetNotFoundError, match="holds no images"):
        make_dataset(f"folder:{tmp_path}", "train", 4)
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        dataset_info(f"folder:{tmp_path / 'nowhere'}")
    with pytest.raises(DatasetError, match="folder:PATH"):
        dataset_info("folder:")


def test_corrupt_files_are_skipped_with_warnings(tmp_path, caplog):
    _write(tmp_path / "good1.png", _flat(50))
    _write(tmp_path / "good2.png", _flat(150))
    (tmp_path / "garbage.png").write_bytes(b"this is not a png at all")
    _write(tmp_path / "whole.png", _flat(90))
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "whole.png").unlink()
    with caplog.at_level(logging.WARNING):
        images, _ = _everything(f"folder:{tmp_path}", resolution=4)
    np.testing.assert_allclose(images[:, 0, 0, 0], np.array([50, 150]) / 127.5 - 1.0, atol=1e-5)
    text = caplog.text
    assert "garbage.png" in text and "truncated.png" in text
    assert "Skipped 2 of 4 image files" in text
    assert dataset_info(f"folder:{tmp_path}").num_examples["train"] == 2


def _png_with_scrambled_pixels(array):
    """A PNG whose compressed pixels are noise under valid checksums: Pillow's verify passes it,
    decoding fails."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    data = buffer.getvalue()
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    noise = np.random.default_rng(0).integers(0, 256, length, dtype=np.uint8).tobytes()
    chunk = struct.pack(">I", length) + b"IDAT" + noise
    chunk += struct.pack(">I", zlib.crc32(b"IDAT" + noise))
    return data[:start] + chunk + data[start + 12 + length :]


def test_file_that_fails_only_at_decode_is_dropped_or_stops_the_pipeline(tmp_path):
    _write(tmp_path / "a.png", _flat(70))
    (tmp_path / "b.png").write_bytes(_png_with_scrambled_pixels(_flat(90, (40, 40, 3))))
    images, _ = _everything(f"folder:{tmp_path}", resolution=4)
    assert len(images) == 1
    np.testing.assert_allclose(images[0], 70 / 127.5 - 1.0, atol=1e-5)
    gin.bind_parameter("image_folder.bad_files", "fail")
    with pytest.raises(DatasetError) as raised:
        _everything(f"folder:{tmp_path}", resolution=4)
    assert str(raised.value).startswith(
        f"1 of 2 image files under {tmp_path} are bad: {tmp_path}/b.png (TensorFlow cannot "
        "decode it: "
    )


def _jpeg_bytes():
    buffer = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (40, 40, 3)).astype(np.uint8)
    Image.fromarray(noise).save(buffer, "JPEG")
    return buffer.getvalue()


def _png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


# kind -> (file name, its bytes, the reason the message gives, min_size)
BAD_FILES = {
    "corrupt": ("b.png", lambda: b"this is not a png at all", "cannot identify image file", 1),
    "truncated_png": ("b.png", lambda: _png_bytes(_flat(90))[:60], "Truncated File Read", 1),
    "truncated_jpeg": ("b.jpg", lambda: _jpeg_bytes()[:1000], "no end-of-image marker", 1),
    "non_image": ("b.jpg", lambda: b"name,value\nx,1\n", "cannot identify image file", 1),
    "empty": ("b.gif", lambda: b"", "cannot identify image file", 1),
    "too_small": ("b.png", lambda: _png_bytes(_flat(90, (3, 5, 3))), "5x3 px is below", 4),
}


def _good_images_and(root, kind):
    """a.png (50) and c.png (150), flat 20 x 20, and the bad file b.* of `kind` between them."""
    _write(root / "a.png", _flat(50))
    _write(root / "c.png", _flat(150))
    name, contents, reason, min_size = BAD_FILES[kind]
    (root / name).write_bytes(contents())
    gin.bind_parameter("image_folder.min_size", min_size)
    return root / name, reason


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_is_skipped_and_counted(tmp_path, caplog, kind):
    bad, reason = _good_images_and(tmp_path, kind)
    with caplog.at_level(logging.WARNING):
        images, _ = _everything(f"folder:{tmp_path}", resolution=4)
    np.testing.assert_allclose(images[:, 0, 0, 0], np.array([50, 150]) / 127.5 - 1.0, atol=1e-5)
    assert f"Skipped 1 of 3 image files under {tmp_path} are bad: {bad} (" in caplog.text
    assert reason in caplog.text
    assert dataset_info(f"folder:{tmp_path}").num_examples["train"] == 2


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_fails_naming_it_when_asked(tmp_path, kind):
    bad, reason = _good_images_and(tmp_path, kind)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    gin.bind_parameter("image_folder.bad_files", "fail")
    with pytest.raises(DatasetError) as raised:
        make_dataset(f"folder:{tmp_path}", "train", 2)
    message = str(raised.value)
    assert message.startswith(f"1 of 3 image files under {tmp_path} are bad: {bad} (")
    assert reason in message and 'image_folder.bad_files = "skip"' in message
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_many_bad_files_are_counted_and_every_one_named(tmp_path):
    _write(tmp_path / "good.png", _flat(50))
    for i in range(7):
        (tmp_path / f"bad{i}.png").write_bytes(b"")
    gin.bind_parameter("image_folder.bad_files", "fail")
    with pytest.raises(DatasetError) as raised:
        dataset_info(f"folder:{tmp_path}")
    message = str(raised.value)
    assert message.startswith(f"7 of 8 image files under {tmp_path} are bad: ")
    assert all(f"{tmp_path}/bad{i}.png (" in message for i in range(7))


def _tf_png(array):
    return tf.io.encode_png(tf.constant(array)).numpy()


def test_modes_are_converted_not_rejected(tmp_path):
    """Gray, gray + alpha, RGBA, palette, 16-bit and CMYK files all load as RGB."""
    rgb = np.array([10, 20, 30], np.uint8)
    Image.fromarray(_flat(70, (8, 8))).save(tmp_path / "1_gray.png")
    Image.fromarray(np.full((8, 8, 2), [70, 128], np.uint8), "LA").save(tmp_path / "2_la.png")
    rgba = np.full((8, 8, 4), [*rgb, 128], np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "3_rgba.png")
    Image.fromarray(_flat(51)).convert("P").save(tmp_path / "4_palette.png")
    Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(tmp_path / "5_gray16.png")
    (tmp_path / "6_rgb16.png").write_bytes(_tf_png(np.full((8, 8, 3), 20000, np.uint16)))
    Image.fromarray(_flat(50)).convert("CMYK").save(tmp_path / "7_cmyk.jpg", quality=100)
    gin.bind_parameter("image_folder.bad_files", "fail")
    images, _ = _everything(f"folder:{tmp_path}", resolution=4)
    expected = np.array(
        [
            [70] * 3,
            [70] * 3,  # alpha dropped, not composited
            rgb,
            [51] * 3,
            [40000 / 257] * 3,  # 16 bits scaled to 8: v * 255 / 65535
            [20000 / 257] * 3,
            [50] * 3,
        ]
    )
    np.testing.assert_allclose(images[:, 0, 0], expected / 127.5 - 1.0, atol=1 / 127.5)


def test_only_corrupt_files_is_an_error(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"\x00\x01\x02")
    with pytest.raises(DatasetNotFoundError, match="None of the 1 image files"):
        dataset_info(f"folder:{tmp_path}")


def test_labels_need_every_image_in_a_subfolder(tmp_path):
    _two_classes(tmp_path)
    _write(tmp_path / "loose.png", _flat(1))
    gin.bind_parameter("image_folder.labels", True)
    with pytest.raises(DatasetError, match="loose.png"):
        dataset_info(f"folder:{tmp_path}")


def test_eval_fraction_gives_disjoint_splits(tmp_path):
    for value in range(10):
        _write(tmp_path / f"{value}.png", _flat(value * 20))
    gin.bind_parameter("image_folder.eval_fraction", 0.3)
    train, _ = _everything(f"folder:{tmp_path}", "train", resolution=4)
    evaluation, _ = _everything(f"folder:{tmp_path}", "eval", resolution=4)
    assert (len(train), len(evaluation)) == (7, 3)
    values = np.round((np.concatenate([train, evaluation])[:, 0, 0, 0] + 1) * 127.5)
    assert sorted(values.tolist()) == [v * 20 for v in range(10)]
    assert dataset_info(f"folder:{tmp_path}").num_examples == {"train": 7, "eval": 3}


def test_a_folder_on_ram_gives_the_batches_of_its_local_copy(tmp_path, copy_to_ram, caplog):
    """Listing, labels, the bad-file check (JPEG tail included) and decoding, on ram://."""
    local = tmp_path / "images"
    _two_classes(local)
    _write(local / "dogs" / "e.jpg", _flat(90))
    (local / "dogs" / "truncated.jpg").write_bytes(_jpeg_bytes()[:1000])
    remote = copy_to_ram(local)
    gin.bind_parameter("image_folder.labels", True)
    with caplog.at_level(logging.WARNING):
        local_images, local_labels = _everything(f"folder:{local}", resolution=8)
        remote_images, remote_labels = _everything(f"folder:{remote}/", resolution=8)
    np.testing.assert_array_equal(remote_images, local_images)
    np.testing.assert_array_equal(remote_labels, local_labels)
    np.testing.assert_array_equal(remote_labels, [0, 0, 1, 1, 1])
    assert f"Skipped 1 of 6 image files under {remote} are bad: {remote}/dogs/truncated.jpg (" in (
        caplog.text
    )
    local_info = dataset_info(f"folder:{local}", resolution=8)
    remote_info = dataset_info(f"folder:{remote}", resolution=8)
    assert remote_info.source == remote
    as_local = dataclasses.replace(remote_info, name=local_info.name, source=local_info.source)
    assert as_local == local_info and local_info.num_classes == 2


def test_a_missing_folder_on_ram_is_named():
    missing = f"ram://{uuid.uuid4().hex}/images"
    with pytest.raises(DatasetNotFoundError, match=f"Image folder '{missing}' does not exist"):
        dataset_info(f"folder:{missing}")
