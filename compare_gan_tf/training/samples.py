"""Image grids of generator samples, written as PNG files."""

import io
import math
import os

import numpy as np
from PIL import Image


def to_uint8(images):
    """[-1, 1] floats (the model's range) to uint8 [0, 255]."""
    images = (np.asarray(images, dtype=np.float32) + 1.0) * 127.5
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def image_grid(images, columns=None):
    """Tiles [N, H, W, C] images in [-1, 1] into one [rows*H, columns*W, C] uint8 image."""
    images = to_uint8(images)
    if images.ndim != 4:
        raise ValueError(f"image_grid expects [N, H, W, C] images, got shape {images.shape}.")
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.zeros((rows * height, columns * width, channels), np.uint8)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    return grid


def save_image_grid(images, path, columns=None, scale=1):
    """Writes the grid as a PNG (nearest-neighbour enlarged `scale` times), atomically."""
    grid = image_grid(images, columns)
    picture = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.Resampling.NEAREST
        )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as file:
        file.write(buffer.getvalue())
    os.replace(temporary, path)
    return path
