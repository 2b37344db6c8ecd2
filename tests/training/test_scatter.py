"""Scatter plots of 2-D samples: the PNG's size, where points land, and atomic writes."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from compare_gan_tf.data.gaussian_mixtures import GRID25, RING8
from compare_gan_tf.training.pictures import SCATTER_AXES, save_scatter_plot

SIZE = 200


def _pixels(path):
    with Image.open(path) as picture:
        assert picture.format == "PNG"
        return np.asarray(picture.convert("RGB")).astype(int)


def _pixel(point, limits, size=SIZE):
    """(row, column) of a data point: the axes sit at SCATTER_AXES, y grows upwards."""
    low, high = limits
    left, bottom, width, height = SCATTER_AXES
    column = (left + (point[0] - low) / (high - low) * width) * size
    row = (1 - bottom - (point[1] - low) / (high - low) * height) * size
    return int(row), int(column)


def _patch(pixels, row, column, radius=2):
    return pixels[row - radius : row + radius + 1, column - radius : column + radius + 1]


def _is_white(patch):
    return np.all(patch >= 250)


def test_png_has_the_requested_size_and_draws_points_and_centres_where_they_are(tmp_path):
    limits = (-3.0, 3.0)
    point = (1.5, -1.0)
    path = save_scatter_plot(
        np.array([point] * 20), tmp_path / "scatter.png", RING8.centres, limits, size=SIZE
    )
    pixels = _pixels(path)
    assert pixels.shape == (SIZE, SIZE, 3)
    # The generated point: blue-ish (blue channel above red) on the white background.
    patch = _patch(pixels, *_pixel(point, limits))
    assert not _is_white(patch)
    darkest = patch.reshape(-1, 3)[np.argmin(patch.sum(axis=-1))]
    assert darkest[2] > darkest[0] + 40
    # Every mode centre gets a red cross.
    for centre in RING8.centres:
        cross = _patch(pixels, *_pixel(centre, limits))
        reddest = cross.reshape(-1, 3)[np.argmax(cross[..., 0] - cross[..., 2])]
        assert reddest[0] > reddest[2] + 60, centre
    # Away from points, centres and the caption (top left), the background is white.
    assert _is_white(_patch(pixels, *_pixel((-1.0, -2.5), limits)))
    assert _is_white(_patch(pixels, *_pixel((0.0, 0.0), limits)))
    assert not os.path.exists(f"{path}.tmp")
    assert os.listdir(tmp_path) == ["scatter.png"]


def test_default_limits_follow_the_centres(tmp_path):
    # grid25's centres reach 4, so the default span is 1.5 * 4 = 6 either way from 0.
    path = save_scatter_plot(
        np.array([[5.5, 5.5]] * 20), tmp_path / "grid.png", GRID25.centres, size=SIZE
    )
    pixels = _pixels(path)
    assert not _is_white(_patch(pixels, *_pixel((5.5, 5.5), (-6.0, 6.0))))
    assert not _is_white(_patch(pixels, *_pixel((4.0, -4.0), (-6.0, 6.0))))  # a centre


def test_points_outside_the_limits_and_non_finite_points_do_not_fail(tmp_path):
    points = np.array([[0.0, 0.0], [100.0, 0.0], [np.nan, 1.0]], np.float32)
    path = save_scatter_plot(points, tmp_path / "far.png", RING8.centres, size=SIZE)
    assert _pixels(path).shape == (SIZE, SIZE, 3)


def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "latest.png"
    save_scatter_plot(np.zeros((4, 2)), path, RING8.centres, size=SIZE)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tf.io.gfile, "rename", fail)
    with pytest.raises(OSError, match="disk full"):
        save_scatter_plot(np.ones((4, 2)), path, RING8.centres, size=SIZE)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.png"]

    missing = tmp_path / "no_such_directory" / "scatter.png"
    with pytest.raises(FileNotFoundError):
        save_scatter_plot(np.ones((4, 2)), missing, RING8.centres, size=SIZE)
    assert not missing.parent.exists()


def test_bad_shapes_raise_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"points of shape \[N, 2\], got \(4, 3\)"):
        save_scatter_plot(np.zeros((4, 3)), tmp_path / "bad.png")
    with pytest.raises(ValueError, match=r"centres of shape \[K, 2\]"):
        save_scatter_plot(np.zeros((4, 2)), tmp_path / "bad.png", centres=np.zeros(8))
    with pytest.raises(ValueError, match="low < high"):
        save_scatter_plot(np.zeros((4, 2)), tmp_path / "bad.png", limits=(1.0, 1.0))
    assert not list(tmp_path.iterdir())


def test_the_scatter_plot_goes_to_tensorboard_as_one_image(tmp_path):
    from compare_gan_tf.data import dataset_info
    from compare_gan_tf.training.data_kinds import data_kind

    kind = data_kind(dataset_info("ring8"))
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=3):
        kind.summarize_samples(np.asarray(RING8.centres))
    writer.close()
    images = []
    for path in tmp_path.iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                width, height, *pictures = tf.make_ndarray(value.tensor)
                images.append((value.tag, event.step, int(width), int(height), len(pictures)))
    assert images == [("samples", 3, 480, 480, 1)]
