"""Resizing images to a network's input size, the way published scores were computed.

The resize alone moves FID by several points (Parmar, Zhang, Zhu 2022, "On Aliased Resizing and
Surprising Subtleties in GAN Evaluation"), so the method is saved with every score:

- "legacy": TF1 bilinear without antialiasing, corner-aligned pixel grid (no half-pixel
  centres). This is what compare_gan and TF-GAN-on-TF1 numbers used.
- "clean": clean-fid's antialiased resize, Pillow bicubic on float32, one channel at a time,
  on values in [0, 255], clipped to [0, 255].
"""

import numpy as np
import tensorflow as tf
from PIL import Image

from compare_gan_tf.checks import check_choice

RESIZE_METHODS = ("legacy", "clean")


def size_pair(size):
    """Returns `size` (an int or a (height, width) pair) as a (height, width) tuple of ints."""
    pair = (size, size) if np.isscalar(size) else tuple(size)
    if len(pair) != 2 or any(int(value) != value or value < 1 for value in pair):
        raise ValueError(f"size must be a positive int or (height, width), got {size!r}.")
    return int(pair[0]), int(pair[1])


def check_method(method):
    """Returns `method`, raising ValueError unless it is one of RESIZE_METHODS."""
    return check_choice(
        "resize method",
        method,
        RESIZE_METHODS,
        "'legacy' gives TF-GAN / compare_gan numbers, 'clean' clean-fid's antialiased resize.",
    )


def _legacy_resize(images, height, width):
    # TF-GAN's preprocess_image: tf.image.resize (TF1: resize_images -> resize_bilinear with
    # align_corners=False; half_pixel_centers defaults to False), tensorflow/gan
    # classifier_metrics.py and tf.contrib.gan classifier_metrics_impl.py.
    resized = tf.raw_ops.ResizeBilinear(
        images=tf.convert_to_tensor(images, tf.float32),
        size=[height, width],
        align_corners=False,
        half_pixel_centers=False,
    )
    return resized.numpy()


def _clean_resize(images, height, width):
    # clean-fid resize.py make_resizer("PIL", ..., "bicubic"): mode-"F" Pillow image per channel
    # of the [0, 255] image, BICUBIC, then clip to [0, 255].
    scaled = np.asarray(images, dtype=np.float32) * 255.0
    batch, _, _, channels = scaled.shape
    resized = np.empty((batch, height, width, channels), dtype=np.float32)
    for index in range(batch):
        for channel in range(channels):
            plane = Image.fromarray(np.ascontiguousarray(scaled[index, :, :, channel]))
            plane = plane.resize((width, height), resample=Image.Resampling.BICUBIC)
            resized[index, :, :, channel] = np.asarray(plane)
    return np.clip(resized, 0.0, 255.0) / 255.0


def resize_images(images, size, method="legacy"):
    """Resizes a batch of images with the resize that published scores used.

    Args:
      images: float array [batch, height, width, channels] with values in [0, 1].
      size: output size, an int (square) or (height, width).
      method: "legacy" (TF1 bilinear, no antialiasing: compare_gan / TF-GAN numbers) or
        "clean" (clean-fid's antialiased Pillow bicubic).

    Returns:
      float32 numpy array [batch, size_height, size_width, channels]. "clean" output stays in
      [0, 1]; "legacy" output is a convex combination of input pixels, so it does too.
    """
    method = check_method(method)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be [batch, height, width, channels], got {images.shape}.")
    height, width = size_pair(size)
    if images.shape[1:3] == (height, width):
        # Both resizers return their input unchanged at the same size.
        return images
    if method == "legacy":
        return _legacy_resize(images, height, width)
    return _clean_resize(images, height, width)


def to_rgb(images):
    """Tiles 1-channel images to 3 channels (as compare_gan did for MNIST); RGB passes through."""
    images = np.asarray(images)
    if images.shape[-1] == 3:
        return images
    if images.shape[-1] == 1:
        return np.tile(images, (1, 1, 1, 3))
    raise ValueError(
        f"images must have 1 or 3 channels, got {images.shape[-1]}; convert them to RGB first."
    )
