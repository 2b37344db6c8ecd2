"""Symbolic links in an image folder: followed once, loops cut, dangling links named as bad."""

import logging

import gin
import numpy as np
import pytest
from PIL import Image

from compare_gan_tf.data import DatasetError, dataset_info, make_dataset


@pytest.fixture(autouse=True)
def _clear_gin():
    gin.clear_config()
    yield
    gin.clear_config()


def _write(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full([8, 8, 3], value, np.uint8)).save(path)


def _values(root):
    batches = make_dataset(
        f"folder:{root}", "train", 100, shuffle=False, repeat=False, resolution=4
    )
    images = np.concatenate([batch[0].numpy() for batch in batches])
    return sorted(np.round((images[:, 0, 0, 0] + 1.0) * 127.5).astype(int).tolist())


def test_a_link_loop_is_walked_once(tmp_path, caplog):
    _write(tmp_path / "a.png", 10)
    _write(tmp_path / "sub" / "b.png", 20)
    _write(tmp_path / "sub" / "deeper" / "c.png", 30)
    (tmp_path / "sub" / "deeper" / "up").symlink_to(tmp_path)  # a loop back to the root
    with caplog.at_level(logging.WARNING):
        assert dataset_info(f"folder:{tmp_path}").num_examples["train"] == 3
        assert _values(tmp_path) == [10, 20, 30]
    assert (
        f"Left out what symbolic links lead to twice under {tmp_path}: "
        f"{tmp_path}/sub/deeper/up (a link to {tmp_path}, which is already listed)."
    ) in caplog.text


def test_a_file_reached_by_two_paths_is_listed_once(tmp_path, caplog):
    _write(tmp_path / "a.png", 10)
    (tmp_path / "b_link.png").symlink_to(tmp_path / "a.png")
    _write(tmp_path / "other" / "c.png", 30)
    (tmp_path / "z_link").symlink_to(tmp_path / "other")  # a second path to a listed folder
    with caplog.at_level(logging.WARNING):
        assert _values(tmp_path) == [10, 30]
    assert f"{tmp_path}/b_link.png (the same file as {tmp_path}/a.png)" in caplog.text
    assert f"{tmp_path}/z_link (a link to {tmp_path}/other, which is already listed)" in (
        caplog.text
    )


def test_a_linked_folder_outside_the_root_is_followed(tmp_path):
    _write(tmp_path / "elsewhere" / "x.png", 40)
    root = tmp_path / "root"
    _write(root / "a.png", 10)
    (root / "more").symlink_to(tmp_path / "elsewhere")
    assert _values(root) == [10, 40]


def test_a_dangling_link_is_skipped_and_counted(tmp_path, caplog):
    _write(tmp_path / "a.png", 10)
    (tmp_path / "gone.png").symlink_to(tmp_path / "deleted.png")
    with caplog.at_level(logging.WARNING):
        assert _values(tmp_path) == [10]
    assert (
        f"Skipped 1 of 2 image files under {tmp_path} are bad: {tmp_path}/gone.png (dangling "
        f"symbolic link to {tmp_path}/deleted.png)."
    ) in caplog.text


def test_a_dangling_link_fails_naming_it_when_asked(tmp_path):
    _write(tmp_path / "a.png", 10)
    (tmp_path / "gone.png").symlink_to(tmp_path / "deleted.png")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    gin.bind_parameter("image_folder.bad_files", "fail")
    with pytest.raises(DatasetError) as raised:
        dataset_info(f"folder:{tmp_path}")
    message = str(raised.value)
    assert message.startswith(
        f"2 of 3 image files under {tmp_path} are bad: {tmp_path}/bad.png (UnidentifiedImageError"
    )
    assert f"; {tmp_path}/gone.png (dangling symbolic link to {tmp_path}/deleted.png). Fix" in (
        message
    )
