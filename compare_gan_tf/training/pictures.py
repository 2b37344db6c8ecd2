"""Pictures of generator samples as PNG files: image grids, and scatter plots of 2-D points."""

import io
import math

import numpy as np
from PIL import Image

from compare_gan_tf.files import write_atomically


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
    return write_atomically(path, buffer.getvalue())


# Where the axes sit in a scatter plot, as fractions of the picture (left, bottom, width,
# height): room for tick labels below and left, and for the title and legend above.
SCATTER_AXES = (0.12, 0.08, 0.84, 0.76)


def scatter_plot_png(points, centres=None, limits=None, size=480, title=None):
    """A PNG (bytes) scatter plot of 2-D `points` [N, 2] over the mode `centres` [K, 2].

    The picture is `size` x `size` px with square axes at SCATTER_AXES, both spanning `limits`
    (low, high); None takes 1.5 times the largest centre coordinate (ring8: -3..3, grid25:
    -6..6), or of the points when no centres are given. Points are small blue dots, centres red
    crosses, named in a legend above the axes; the title gives `title` and how many points fall
    outside the limits (or are not finite). Drawn with matplotlib's Agg canvas directly, so
    pyplot's global state is never touched.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"save_scatter_plot expects points of shape [N, 2], got {points.shape}.")
    if centres is not None:
        centres = np.asarray(centres, dtype=np.float64)
        if centres.ndim != 2 or centres.shape[1] != 2:
            raise ValueError(
                f"save_scatter_plot expects centres of shape [K, 2], got {centres.shape}."
            )
    if limits is None:
        reference = centres if centres is not None and len(centres) else points
        finite = reference[np.isfinite(reference).all(axis=1)]
        half = 1.5 * float(np.max(np.abs(finite))) if len(finite) else 1.0
        limits = (-half, half) if half > 0 else (-1.0, 1.0)
    low, high = (float(limit) for limit in limits)
    if not high > low:
        raise ValueError(
            f"save_scatter_plot limits must be (low, high) with low < high; got {limits}."
        )

    dpi = 100
    figure = Figure(figsize=(size / dpi, size / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes(SCATTER_AXES)
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    font = max(4.0, 8.0 * size / 480)  # text shrinks with small pictures, so the title fits
    axes.tick_params(labelsize=font - 1)
    axes.scatter(
        points[:, 0], points[:, 1], s=4, c="tab:blue", alpha=0.5, linewidths=0, label="samples"
    )
    if centres is not None:
        axes.scatter(
            centres[:, 0],
            centres[:, 1],
            s=60,
            c="tab:red",
            marker="x",
            linewidths=1.5,
            label=f"{len(centres)} mode centres",
        )
    inside = np.isfinite(points).all(axis=1) & np.all((points >= low) & (points <= high), axis=1)
    outside = len(points) - int(np.count_nonzero(inside))
    caption = f"{len(points)} points, {outside} outside [{low:g}, {high:g}]"
    figure.suptitle(f"{title}: {caption}" if title else caption, y=0.985, fontsize=font)
    # Above the axes, so the legend never covers a point.
    legend = axes.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=font - 1, frameon=False
    )
    legend.legend_handles[0].set_sizes([20])  # the samples' dot, big enough to see
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def save_scatter_plot(points, path, centres=None, limits=None, size=480, title=None):
    """Writes scatter_plot_png(points, centres, limits, size, title) to `path`, atomically."""
    return write_atomically(path, scatter_plot_png(points, centres, limits, size, title))
