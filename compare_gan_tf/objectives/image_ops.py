"""Per-image colour operations and input checks shared by DiffAugment and ADA.

Images are NHWC floats; every operation draws nothing (its parameters are given per image),
is differentiable with respect to the images and keeps static shapes.
"""

import tensorflow as tf


def check_images(images, caller, fix):
    """Raises a ValueError naming `fix` unless `images` is a rank-4 NHWC batch."""
    if images.shape.rank != 4:
        raise ValueError(
            f"{caller} augments images [batch, height, width, channels]; got a tensor of shape "
            f"{images.shape}. For 2-D points and other non-image data {fix}"
        )
    if images.shape[1] is None or images.shape[2] is None:
        raise ValueError(f"{caller} needs static image sizes; got shape {images.shape}.")


def per_sample(values):
    """[B] values shaped [B, 1, 1, 1] to broadcast over an NHWC batch."""
    return tf.reshape(tf.cast(values, tf.float32), [-1, 1, 1, 1])


def adjust_brightness(images, shifts):
    """Adds shifts[i] to every value of image i.

    Args:
      images: float [B, H, W, C].
      shifts: float [B].
    """
    # Zhao et al. 2020 (DiffAugment code, rand_brightness), Karras et al. 2020 (ADA, brightness):
    # x' = x + b.
    return images + per_sample(shifts)


def adjust_saturation(images, factors):
    """Scales each pixel's deviation from its mean over channels by factors[i].

    One channel is left unchanged (its channel mean is the pixel itself).

    Args:
      images: float [B, H, W, C].
      factors: float [B]; 1 is the identity (exactly).
    """
    pixel_means = tf.reduce_mean(images, axis=3, keepdims=True)
    # Zhao et al. 2020 (DiffAugment code, rand_color): x' = mean_c(x) + s (x - mean_c(x)).
    return images + (per_sample(factors) - 1.0) * (images - pixel_means)


def adjust_contrast(images, factors):
    """Scales each image's deviation from its mean (over pixels and channels) by factors[i].

    Args:
      images: float [B, H, W, C].
      factors: float [B]; 1 is the identity (exactly).
    """
    image_means = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    # Zhao et al. 2020 (DiffAugment code, rand_contrast): x' = mean(x) + c (x - mean(x)).
    return images + (per_sample(factors) - 1.0) * (images - image_means)
