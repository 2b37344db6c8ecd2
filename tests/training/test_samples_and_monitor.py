"""Sample grids as PNG files, and the singular-value monitor against numpy."""

import re

import keras
import numpy as np
from PIL import Image

from compare_gan_tf.layers import SpectralNormalization
from compare_gan_tf.training.monitor import singular_value_layout, top_singular_value_summaries
from compare_gan_tf.training.pictures import image_grid, save_image_grid, to_uint8


def test_uint8_conversion_maps_the_model_range_onto_0_255():
    np.testing.assert_array_equal(to_uint8([-1.0, 0.0, 1.0, 3.0]), [0, 128, 255, 255])


def test_grid_places_image_i_at_row_i_div_columns():
    images = np.stack([np.full((2, 3, 1), value) for value in (-1.0, 0.0, 1.0)])
    grid = image_grid(images, columns=2)
    assert grid.shape == (4, 6, 1)
    assert grid[0, 0, 0] == 0 and grid[0, 3, 0] == 128 and grid[2, 0, 0] == 255
    assert grid[2, 3, 0] == 0  # the unused cell stays black


def test_saved_png_holds_the_enlarged_grid(tmp_path):
    images = np.random.uniform(-1, 1, (4, 5, 5, 3)).astype("float32")
    path = save_image_grid(images, tmp_path / "grid.png", scale=2)
    saved = np.asarray(Image.open(path))
    expected = np.repeat(np.repeat(image_grid(images), 2, axis=0), 2, axis=1)
    np.testing.assert_array_equal(saved, expected)
    assert not (tmp_path / "grid.png.tmp").exists()
    assert [child.name for child in tmp_path.iterdir()] == ["grid.png"]


class _Blocks(keras.Model):
    """Weights held as an attribute, a wrapped attribute and a list, as the architectures do."""

    def __init__(self):
        super().__init__()
        self.fc = SpectralNormalization(keras.layers.Dense(4))
        self.blocks = [keras.layers.Dense(3), keras.layers.Dense(2)]

    def call(self, x):
        return self.blocks[1](self.blocks[0](self.fc(x)))


def test_singular_values_of_every_raw_kernel_match_numpy_named_by_place():
    model = _Blocks()
    model(np.zeros((1, 6), np.float32))
    summaries = top_singular_value_summaries(model, "generator", k=3)
    kernels = {
        "generator/fc": model.fc.layer.kernel,
        "generator/block0": model.blocks[0].kernel,
        "generator/block1": model.blocks[1].kernel,
    }
    # A 3x2 kernel has two singular values.
    assert sorted(summaries) == sorted(
        [f"generator/{name}/sv{i}" for name in ("fc", "block0") for i in range(3)]
        + ["generator/block1/sv0", "generator/block1/sv1"]
    )
    for name, kernel in kernels.items():
        expected = np.linalg.svd(kernel.numpy(), compute_uv=False)[:3]
        found = [float(summaries[f"{name}/sv{i}"]) for i in range(len(expected))]
        np.testing.assert_allclose(found, expected, rtol=1e-5)


def test_layers_only_keras_holds_are_named_by_their_layer_name():
    dense = keras.layers.Dense(3, name="head")
    model = keras.Sequential([keras.Input((6,)), SpectralNormalization(dense)])
    assert list(top_singular_value_summaries(model, "discriminator")) == [
        f"discriminator/head/sv{i}" for i in range(3)
    ]


def test_the_layout_puts_each_layers_values_on_one_chart():
    names = [f"generator/{layer}/sv{i}" for layer in ("fc", "block0") for i in range(3)]
    names += ["discriminator/conv0/sv0", "discriminator/conv0/sv1"]
    layout = singular_value_layout(names)
    assert [category.title for category in layout.category] == [
        "singular_values: generator",
        "singular_values: discriminator",
    ]
    charts = {chart.title: chart for category in layout.category for chart in category.chart}
    assert list(charts) == ["generator/fc", "generator/block0", "discriminator/conv0"]
    tags = [f"singular_values/{name}" for name in names + ["generator/fc0/sv0"]]
    for title, chart in charts.items():
        (pattern,) = chart.multiline.tag
        matched = [tag for tag in tags if re.match(pattern, tag)]
        assert matched == [
            tag for tag in tags if tag.rsplit("/", 1)[0] == f"singular_values/{title}"
        ]
