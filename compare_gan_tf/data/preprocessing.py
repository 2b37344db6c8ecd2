"""Per-image preprocessing: decode, crop, resize and scale to the model's range [-1, 1].

Every function takes and returns one HWC image (no batch axis), so it can run in tf.data maps.
Resizing is bilinear with antialiasing (a triangle filter widened by the shrink factor), the same
filter as Pillow's BILINEAR; when enlarging it is plain bilinear interpolation with half-pixel
centres. compare_gan used TF1's `resize_images`, whose bilinear sampling grid is not
half-pixel centred (a shift of up to half a pixel) and which aliases when shrinking; we use the
corrected TF2 resize.
"""

import tensorflow as tf

# compare_gan's ImageNet "distorted" training crop: a square covering 50-100% of the image area.
DISTORTED_AREA_RANGE = (0.5, 1.0)


def to_model_range(image, max_value=255.0):
    """Pixel values in [0, max_value] -> float32 in [-1, 1]."""
    image = tf.cast(image, tf.float32) * (2.0 / max_value) - 1.0
    return tf.clip_by_value(image, -1.0, 1.0)


def to_unit_range(images):
    """Model images in [-1, 1] as the [0, 1] images that extractors, pictures and hub modules
    take (the inverse of to_model_range), clipped; a float32 tensor."""
    return tf.clip_by_value((tf.cast(images, tf.float32) + 1.0) / 2.0, 0.0, 1.0)


def resize(image, size):
    """Bilinear (antialiased when shrinking) resize to size x size; returns float32."""
    return tf.image.resize(
        tf.cast(image, tf.float32), [size, size], method="bilinear", antialias=True
    )


def crop_or_pad(image, size):
    """The central size x size window; sides shorter than `size` are padded with zeros.

    This is compare_gan's `resize_with_crop_or_pad`: the window starts at (H - size) // 2 and
    (W - size) // 2, and nothing is rescaled.
    """
    return tf.image.resize_with_crop_or_pad(image, size, size)


def center_square_crop(image):
    """The largest centred square: side min(H, W), offsets (H - side) // 2, (W - side) // 2."""
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    side = tf.minimum(height, width)
    top = (height - side) // 2
    left = (width - side) // 2
    return image[top : top + side, left : left + side]


def distorted_square_crop(image, seed, area_range=DISTORTED_AREA_RANGE):
    """A random square window covering `area_range` of the image area (compare_gan's
    "distorted" ImageNet training crop: aspect ratio 1, area 0.5-1).

    `seed` is a [2] integer tensor; the same seed gives the same window. When no square of that
    area fits in 100 attempts (very elongated images), the whole image is returned, as TF's
    sampler does with `use_image_if_no_bounding_boxes`.
    """
    whole_image = tf.constant([[[0.0, 0.0, 1.0, 1.0]]])
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=whole_image,
        seed=seed,
        min_object_covered=0.0,
        aspect_ratio_range=(1.0, 1.0),
        area_range=area_range,
        max_attempts=100,
        use_image_if_no_bounding_boxes=True,
    )
    return tf.slice(image, begin, size)


def decode_image(contents, channels=3):
    """Encoded PNG, JPEG, BMP or GIF bytes -> uint8 [H, W, channels] (first frame of a GIF).

    RGB -> grayscale uses ITU-R BT.601 luma weights (tf.image.rgb_to_grayscale); grayscale -> RGB
    repeats the channel; an alpha channel is dropped, not composited.
    """
    if channels == 3:
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        return tf.ensure_shape(image, [None, None, 3])
    if channels != 1:
        raise ValueError(f"channels must be 1 or 3, got {channels!r}.")
    # BMP and GIF decoders refuse channels=1: decode as stored, then reduce.
    image = tf.io.decode_image(contents, channels=0, expand_animations=False)
    stored = tf.shape(image)[-1]

    def from_color():
        rgb = tf.ensure_shape(image[..., :3], [None, None, 3])
        return tf.image.rgb_to_grayscale(rgb)

    def from_gray():
        return tf.ensure_shape(image[..., :1], [None, None, 1])

    return tf.cond(stored >= 3, from_color, from_gray)
