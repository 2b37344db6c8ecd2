"""Sample grids as PNG files, and the singular-value monitor against numpy."""

import keras
import numpy as np
from PIL import Image

from compare_gan_tf.layers import SpectralNormalization
from compare_gan_tf.training.monitor import top_singular_value_summaries
from compare_gan_tf.training.samples import image_grid, save_image_grid, to_uint8


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


def test_singular_values_of_every_raw_kernel_match_numpy():
    model = keras.Sequential(
        [keras.Input((6,)), SpectralNormalization(keras.layers.Dense(4)), keras.layers.Dense(3)]
    )
    summaries = top_singular_value_summaries(model, k=3)
    kernels = [
        layer.layer.kernel if hasattr(layer, "layer") else layer.kernel for layer in model.layers
    ]
    assert len(summaries) == 6
    for kernel in kernels:
        expected = np.linalg.svd(kernel.numpy(), compute_uv=False)[:3]
        found = [float(summaries[f"{kernel.path}/sv{i}"]) for i in range(3)]
        np.testing.assert_allclose(found, expected, rtol=1e-5)
