"""MS-SSIM diversity: mean pairwise MS-SSIM of generated images inside shuffled batches.

Odena et al. 2017 (Conditional Image Synthesis with Auxiliary Classifier GANs, Section 4.2)
score sample diversity by the mean MS-SSIM of image pairs; Fedus et al. 2018 (Many Paths to
Equilibrium, Section 5.3) average it over 5 batches of 64 generated images, which is
compare_gan's MultiscaleSSIMTask. Lower means more diverse (1 for identical images); compare it
with the same score of real images of the dataset.

The score is computed on the GENERATED images. compare_gan's task kept an older
`(options, fake, real)` signature, so its hub-module evaluation passed the real images and
scored those; that wiring is not reproduced.

MS-SSIM is `tf.image.ssim_multiscale` with compare_gan's settings: images in [0, 255] with
max_val 255, an 11x11 Gaussian window of sigma 1.5, k1 = 0.01, k2 = 0.03, and Wang et al.'s
five power factors. Five scales need images of at least 161 pixels (each scale halves the side,
rounding up, and TensorFlow refuses a scale smaller than the window). For smaller images this
module keeps the 11x11 window and drops the coarsest scales instead (see `ms_ssim_settings`):
so below 161 pixels the numbers are not compare_gan's, which shrank the window at each scale
that was smaller than 11 pixels.

tf.image computes in float32 whatever the input type, as compare_gan did; its variances
E[x^2] - E[x]^2 then round by about 1e-7 * x^2, which moves the score of large flat bright areas
by up to about 1e-3 (textured images agree with a float64 reference within 1e-5).
"""

import numpy as np
import tensorflow as tf

from compare_gan_tf.metrics._common import check_positive_int
from compare_gan_tf.metrics.features import check_images

# Wang, Simoncelli & Bovik 2003 (Multi-scale structural similarity), Section 3.1: the weights
# of the five scales, finest first (compare_gan's and tf.image's _MSSSIM_WEIGHTS).
WANG_POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
# Wang et al. 2004 (SSIM), Section III-C: an 11x11 circular-symmetric Gaussian of sigma 1.5.
FILTER_SIZE = 11
MAX_SCALES = len(WANG_POWER_FACTORS)
# compare_gan feeds images in [0, 255] and passes max_val 255.
MAX_VAL = 255.0
# The window's sigma and the stabilizing constants K1, K2 (Wang et al. 2004, Section III-B, C).
SSIM_CONSTANTS = dict(max_val=MAX_VAL, filter_sigma=1.5, k1=0.01, k2=0.03)
# Below 7 pixels even one window would cut the sigma-1.5 Gaussian inside +-2 sigma.
MIN_SIDE = 7
# Fedus et al. 2018, Section 5.3 (compare_gan's _compute_multiscale_ssim_score): 5 batches of 64.
BATCH_SIZE = 64
NUM_BATCHES = 5
# Image pairs per tf.image call: about 2**23 floats per input tensor (32 MB).
_FLOATS_PER_CALL = 2**23


def ms_ssim_scales(height, width, filter_size=FILTER_SIZE, max_scales=MAX_SCALES):
    """How many scales (at most `max_scales`) keep every side >= `filter_size`.

    tf.image.ssim_multiscale pads an odd side by one row or column and halves it, so the
    side after each scale is ceil(side / 2).
    """
    side, scales = min(height, width), 0
    while scales < max_scales and side >= filter_size:
        scales += 1
        side = (side + 1) // 2
    return scales


def ms_ssim_settings(height, width):
    """(power_factors, filter_size) used for images of this size.

    Images of 161 pixels or more: Wang et al.'s five power factors and the 11x11 window, as
    compare_gan. Smaller images: the scales that still hold the 11x11 window, with the first
    Wang factors rescaled to sum to 1, so that the score stays a weighted geometric mean of
    SSIM terms in [0, 1] (2 scales at 32 px, 3 at 64 px, 4 at 128 px). Fewer scales rather
    than a smaller window, because the window is what defines SSIM's local statistics (Wang et
    al. 2004) and the fine scales, which carry most of the weight, keep it; a window as large
    as a coarse scale measures the whole image at once. Below 11 pixels (8x8 digits) a single
    scale remains, with the window cut to the image side.

    Raises ValueError for images smaller than MIN_SIDE pixels.
    """
    side = min(height, width)
    if side < MIN_SIDE:
        raise ValueError(
            f"MS-SSIM needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels, got {height}x"
            f"{width}; score larger images (or upsample them before scoring)."
        )
    scales = ms_ssim_scales(height, width)
    if scales == 0:
        return (1.0,), side
    if scales == MAX_SCALES:
        return WANG_POWER_FACTORS, FILTER_SIZE
    kept = WANG_POWER_FACTORS[:scales]
    return tuple(weight / sum(kept) for weight in kept), FILTER_SIZE


@tf.function(reduce_retracing=True)
def _ms_ssim(first, second, power_factors, filter_size):
    return tf.image.ssim_multiscale(
        first, second, power_factors=power_factors, filter_size=filter_size, **SSIM_CONSTANTS
    )


def _check_batch(images, name):
    images = check_images(images, name)
    if images.shape[0] < 2:
        raise ValueError(
            f"{name} holds {images.shape[0]} image but MS-SSIM compares pairs; pass at least 2."
        )
    return images


def pairwise_ms_ssim(images, power_factors=None, filter_size=None):
    """MS-SSIM of every unordered pair (i < j, in np.triu_indices order) of one batch.

    Args:
      images: float [B, H, W, C] in [0, 1] (B >= 2, C = 1 or 3); scaled to [0, 255] inside.
      power_factors, filter_size: None picks `ms_ssim_settings(H, W)`.

    Returns:
      float64 array [B * (B - 1) / 2]. MS-SSIM is symmetric in its two images, so the mean
      over these pairs equals compare_gan's mean over the B * (B - 1) ordered pairs i != j.
    """
    images = _check_batch(images, "images")
    auto_factors, auto_filter = ms_ssim_settings(*images.shape[1:3])
    power_factors = tuple(float(f) for f in (power_factors or auto_factors))
    filter_size = int(filter_size or auto_filter)
    scaled = tf.constant(images.astype(np.float32) * np.float32(MAX_VAL))
    first, second = np.triu_indices(len(images), k=1)
    per_call = max(1, _FLOATS_PER_CALL // int(np.prod(images.shape[1:])))
    values = []
    for start in range(0, len(first), per_call):
        stop = start + per_call
        values.append(
            _ms_ssim(
                tf.gather(scaled, first[start:stop]),
                tf.gather(scaled, second[start:stop]),
                power_factors,
                filter_size,
            ).numpy()
        )
    return np.concatenate(values).astype(np.float64)


def ms_ssim_batches(num_images, batch_size=BATCH_SIZE, num_batches=NUM_BATCHES, seed=0):
    """Indices [num_batches, batch_size] of the shuffled batches: the first
    num_batches * batch_size entries of np.random.default_rng(seed).permutation(num_images).

    compare_gan drew its batches from a shuffling queue; a permutation gives every image the
    same chance and never repeats one.
    """
    batch_size = check_positive_int(batch_size, "batch_size", minimum=2)
    num_batches = check_positive_int(num_batches, "num_batches")
    needed = batch_size * num_batches
    if num_images < needed:
        raise ValueError(
            f"MS-SSIM scores {num_batches} batches of {batch_size} = {needed} generated images "
            f"but got {num_images}; generate more images or lower num_batches or batch_size."
        )
    order = np.random.default_rng(seed).permutation(num_images)
    return order[:needed].reshape(num_batches, batch_size)


def mean_batch_ms_ssim(batches):
    """Mean over batches of each batch's mean pairwise MS-SSIM (compare_gan's np.mean of the
    per-batch scores); `batches` is an iterable of [B, H, W, C] arrays in [0, 1]."""
    return float(np.mean([pairwise_ms_ssim(batch).mean() for batch in batches]))


def ms_ssim_diversity(images, batch_size=BATCH_SIZE, num_batches=NUM_BATCHES, seed=0):
    """Mean pairwise MS-SSIM of generated images over shuffled batches (lower: more diverse).

    Args:
      images: generated images, float [N, H, W, C] in [0, 1], N >= batch_size * num_batches.
      batch_size, num_batches: Fedus et al.'s 64 and 5.
      seed: seed of the permutation that forms the batches (`ms_ssim_batches`).

    Returns:
      The mean over the batches of the mean MS-SSIM over each batch's pairs, a float in [0, 1].
    """
    images = _check_batch(images, "images")
    indices = ms_ssim_batches(len(images), batch_size, num_batches, seed)
    return mean_batch_ms_ssim(images[batch] for batch in indices)
