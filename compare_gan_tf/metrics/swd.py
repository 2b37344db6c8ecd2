"""Sliced Wasserstein distance (SWD) between real and generated images, per pyramid level.

Karras et al. 2018 (Progressive Growing of GANs, Section 5 and Appendix D). Their code
(tkarras/progressive_growing_of_gans, metrics/sliced_wasserstein.py) settles what the paper
leaves open; its settings are the defaults here:
- a Laplacian pyramid with the 5x5 binomial filter and mirrored borders (cv2.pyrDown/pyrUp),
  from the full resolution down to 16 pixels;
- 128 descriptors per image and level: 7x7 neighbourhoods of all channels at random positions
  that keep the whole neighbourhood inside the level;
- the descriptors of each set normalized per channel (mean 0 and standard deviation 1 over all
  of that set's descriptors of the level), so a uniform colour or contrast change of a whole
  set is not seen;
- 512 random unit directions per level (their 4 repeats of 128); the distance is the mean over
  directions and descriptors of |sorted projections of one set - sorted projections of the
  other|, the Wasserstein-1 distance of each 1-D projection, averaged;
- one distance per level (finest first) and their mean. Karras et al. report SWD x 1e3 from
  16,384 images; `score_features` reports x 1e3 too, `sliced_wasserstein_distance` does not.

TF-GAN's tfgan.eval.sliced_wasserstein_distance (DESIGN.md's reference) builds the same pyramid
and sorted projections but differs in the rest: 64 descriptors per image, 147 directions
(random_sampling_count 1 x random_projection_dim 7*7*3), each descriptor normalized by its own
mean and standard deviation, no x 1e3, no mean over levels, and a second draw of real
descriptors per level as a real-versus-real baseline. `descriptors_per_image=64,
num_projections=147, normalization="descriptor"` gives its definition (not its random draws).
tensorflow-gan cannot be imported with TF >= 2.16, so the tests use numpy references.

Images are float in [0, 1] (Karras et al. fed uint8 values in [0, 255]); both normalizations
remove the scale, so the distances are the same. Karras et al. and TF-GAN take three channels;
grayscale works the same way with 7x7x1 descriptors. Memory: the descriptors are kept until the
distance is computed, 128 x 49 x C float32 per image and level (75 KB for RGB), so 10,000 RGB
images at 32 pixels (2 levels) hold 1.5 GB per set.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from compare_gan_tf.metrics._common import check_positive_int
from compare_gan_tf.metrics.features import check_images

PATCH_SIZE = 7
DESCRIPTORS_PER_IMAGE = 128
NUM_PROJECTIONS = 512
RESOLUTION_MIN = 16
NORMALIZATIONS = ("channel", "descriptor")
# Burt & Adelson 1983 (The Laplacian Pyramid as a Compact Image Code), generating kernel with
# a = 3/8: [1, 4, 6, 4, 1] / 16; its outer product is Karras et al.'s (and cv2's) 5x5 filter.
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
# Projected values sorted at once: 2**24 floats (64 MB) per set.
_FLOATS_PER_SORT = 2**24


@dataclasses.dataclass(frozen=True)
class SlicedWasserstein:
    """SWD per pyramid level (finest first, `resolutions` their shorter sides) and their mean."""

    resolutions: tuple
    distances: tuple
    mean: float


def pyramid_resolutions(height, width, resolution_min=RESOLUTION_MIN):
    """The shorter side of each pyramid level, finest first: halve while >= resolution_min.

    Images smaller than `resolution_min` get one level (as TF-GAN, which clips the minimum to
    the image size). Raises ValueError when the images are smaller than a descriptor or cannot
    be halved exactly as often as the levels need.
    """
    resolution_min = check_positive_int(resolution_min, "resolution_min", minimum=PATCH_SIZE)
    side = min(height, width)
    if side < PATCH_SIZE:
        raise ValueError(
            f"SWD takes {PATCH_SIZE}x{PATCH_SIZE} neighbourhoods but the images are {height}x"
            f"{width}; score images of at least {PATCH_SIZE}x{PATCH_SIZE} pixels."
        )
    floor, resolutions = min(resolution_min, side), []
    while side >= floor:
        resolutions.append(side)
        side //= 2
    divisor = 2 ** (len(resolutions) - 1)
    if height % divisor or width % divisor:
        raise ValueError(
            f"SWD's pyramid halves {height}x{width} images {len(resolutions) - 1} times, which "
            f"needs sides divisible by {divisor}; crop or resize the images, or raise "
            f"resolution_min above {resolutions[-1]} for fewer levels."
        )
    return tuple(resolutions)


def _blur(images, gain):
    """The 5x5 binomial filter times `gain` on each channel, borders mirrored (not repeated)."""
    kernel = np.outer(_BINOMIAL, _BINOMIAL) * gain
    kernel = np.tile(kernel[:, :, None, None], (1, 1, images.shape[-1], 1)).astype(np.float32)
    padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, strides=[1, 1, 1, 1], padding="VALID")


def _downsample(images):
    """cv2.pyrDown: blur, then every second row and column."""
    return _blur(images, 1.0)[:, ::2, ::2]


def _upsample(images):
    """cv2.pyrUp: zeros between the pixels, then the blur times 4 (the kept pixels' share)."""
    _, height, width, channels = images.shape
    wide = tf.reshape(
        tf.stack([images, tf.zeros_like(images)], axis=3), [-1, height, 2 * width, channels]
    )
    tall = tf.stack([wide, tf.zeros_like(wide)], axis=2)
    return _blur(tf.reshape(tall, [-1, 2 * height, 2 * width, channels]), 4.0)


def laplacian_pyramid(images, num_levels):
    """Levels [B, H / 2^l, W / 2^l, C] as numpy float32, finest first: each band-pass level is
    the image minus the upsampled next one; the last is the low-pass residual."""
    current = tf.convert_to_tensor(np.asarray(images, np.float32))
    levels = []
    for _ in range(num_levels - 1):
        smaller = _downsample(current)
        levels.append((current - _upsample(smaller)).numpy())
        current = smaller
    levels.append(current.numpy())
    return levels


def random_positions(uniform, height, width, patch_size=PATCH_SIZE):
    """Centres (rows, cols), each [..., K], from numbers `uniform` [..., 2, K] in [0, 1) (rows
    from [..., 0, :]): uniform over the centres that keep the patch_size x patch_size
    neighbourhood inside a height x width level."""
    half = patch_size // 2
    rows = half + np.floor(uniform[..., 0, :] * (height - 2 * half)).astype(np.int64)
    cols = half + np.floor(uniform[..., 1, :] * (width - 2 * half)).astype(np.int64)
    return rows, cols


def descriptors_at(level, rows, cols, patch_size=PATCH_SIZE):
    """The neighbourhoods of `level` [B, H, W, C] centred at (rows[b, k], cols[b, k]) of image
    b, as [B * K, patch_size, patch_size, C] (image-major)."""
    offsets = np.arange(patch_size) - patch_size // 2
    row_index = rows[:, :, None, None] + offsets[:, None]
    col_index = cols[:, :, None, None] + offsets[None, :]
    image_index = np.arange(level.shape[0])[:, None, None, None]
    patches = level[image_index, row_index, col_index]
    return patches.reshape(-1, patch_size, patch_size, level.shape[-1])


def normalize_descriptors(descriptors, normalization="channel"):
    """Descriptors [N, p, p, C] -> [N, p * p * C] float32, zero mean and unit standard deviation
    (ddof 0) per channel over all N descriptors ("channel": Karras et al.) or per descriptor
    over its own values ("descriptor": TF-GAN). A constant channel or descriptor is only
    centred (it would divide by zero)."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"Unknown SWD normalization {normalization!r}; choose from {', '.join(NORMALIZATIONS)}."
        )
    descriptors = np.asarray(descriptors, np.float32)
    axes = (0, 1, 2) if normalization == "channel" else (1, 2, 3)
    mean = descriptors.mean(axis=axes, keepdims=True, dtype=np.float64)
    std = descriptors.std(axis=axes, keepdims=True, dtype=np.float64)
    std[std == 0] = 1.0
    normalized = (descriptors - mean.astype(np.float32)) / std.astype(np.float32)
    return normalized.reshape(len(descriptors), -1)


def random_directions(rng, dim, count):
    """`count` directions, uniform on the unit sphere of R^dim: columns [dim, count] float32."""
    directions = rng.standard_normal((dim, count))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    return directions.astype(np.float32)


def sliced_wasserstein(first, second, directions):
    """Mean over `directions` [D, P] of the Wasserstein-1 distance between the projections of
    two equally large samples [N, D]: mean |sort(first @ d) - sort(second @ d)|."""
    if first.shape != second.shape:
        raise ValueError(
            f"The sliced distance pairs sorted samples one to one, so both need one shape; got "
            f"{first.shape} and {second.shape}. Use as many images in each set."
        )
    step = max(1, _FLOATS_PER_SORT // first.shape[0])
    total = 0.0
    for start in range(0, directions.shape[1], step):
        chunk = directions[:, start : start + step]
        # Karras et al. 2018, Appendix D / Rabin et al. 2011: the 1-D Wasserstein-1 distance
        # of two equal-size samples pairs their order statistics.
        gaps = np.sort(first @ chunk, axis=0) - np.sort(second @ chunk, axis=0)
        total += float(np.abs(gaps).sum(dtype=np.float64))
    return total / (first.shape[0] * directions.shape[1])


class DescriptorSet:
    """The descriptors of a stream of image batches (float [B, H, W, C] in [0, 1]), per level.

    The centres come from np.random.default_rng(seed).random((N, levels, 2, K)) through
    `random_positions`, drawn image by image, so they do not depend on how the images are
    batched. Only the descriptors are kept.
    """

    def __init__(
        self,
        resolution_min=RESOLUTION_MIN,
        descriptors_per_image=DESCRIPTORS_PER_IMAGE,
        seed=0,
        name="images",
    ):
        self.resolution_min = resolution_min
        self.descriptors_per_image = check_positive_int(
            descriptors_per_image, "descriptors_per_image"
        )
        self.name = name
        self.num_images = 0
        self.image_shape = None
        self.resolutions = None
        self._rng = np.random.default_rng(seed)
        self._levels = None

    def add(self, images):
        images = check_images(images, self.name)
        if self.image_shape is None:
            self.image_shape = images.shape[1:]
            self.resolutions = pyramid_resolutions(*self.image_shape[:2], self.resolution_min)
            self._levels = [[] for _ in self.resolutions]
        elif images.shape[1:] != self.image_shape:
            raise ValueError(
                f"{self.name} batches changed shape from {self.image_shape} to "
                f"{images.shape[1:]}; SWD compares images of one size."
            )
        num_levels = len(self.resolutions)
        uniform = self._rng.random((len(images), num_levels, 2, self.descriptors_per_image))
        for index, level in enumerate(laplacian_pyramid(images, num_levels)):
            rows, cols = random_positions(uniform[:, index], *level.shape[1:3])
            self._levels[index].append(descriptors_at(level, rows, cols))
        self.num_images += len(images)

    def descriptors(self, num_images):
        """Raw descriptors [num_images * descriptors_per_image, 7, 7, C] of the first
        `num_images` images, one array per level."""
        count = num_images * self.descriptors_per_image
        return [np.concatenate(parts)[:count] for parts in self._levels]


def _check_count(num_images, name):
    if num_images < 2:
        raise ValueError(
            f"{name} holds {num_images} image(s) but SWD compares distributions of images; "
            "pass at least 2 (Karras et al. used 16,384)."
        )


def _match_channels(descriptors, channels):
    """Descriptors [N, p, p, C] in the real images' channel format: an RGB set against gray reals
    becomes its channel mean, a gray set against RGB reals is tiled. The pyramid is linear and
    per channel, so these are the descriptors of the channel-mean or tiled images."""
    if descriptors.shape[-1] == channels:
        return descriptors
    if channels == 1:
        return descriptors.mean(axis=-1, keepdims=True)
    return np.repeat(descriptors, channels, axis=-1)


def swd_between(real, fake, num_projections=NUM_PROJECTIONS, normalization="channel", seed=0):
    """SWD between two DescriptorSets, on the first min(N_real, N_fake) images of each.

    Each level draws its directions from np.random.default_rng(seed), finest level first. The
    fakes are compared in the real images' channel format (a grayscale model's hub module emits
    RGB tiles of its gray images: they are compared as their channel mean, which is exactly the
    gray image; the digits classifier reads RGB the same way).
    """
    num_projections = check_positive_int(num_projections, "num_projections")
    count = min(real.num_images, fake.num_images)
    for descriptor_set in (real, fake):
        _check_count(descriptor_set.num_images, descriptor_set.name)
    if real.image_shape[:2] != fake.image_shape[:2]:
        raise ValueError(
            f"{real.name} are {real.image_shape} but {fake.name} are {fake.image_shape}; "
            "score images of one size."
        )
    if real.descriptors_per_image != fake.descriptors_per_image:
        raise ValueError("Both sets need the same descriptors_per_image.")
    rng = np.random.default_rng(seed)
    distances = []
    channels = real.image_shape[-1]
    for real_level, fake_level in zip(real.descriptors(count), fake.descriptors(count)):
        first = normalize_descriptors(real_level, normalization)
        second = normalize_descriptors(_match_channels(fake_level, channels), normalization)
        directions = random_directions(rng, first.shape[1], num_projections)
        distances.append(sliced_wasserstein(first, second, directions))
    return SlicedWasserstein(
        resolutions=real.resolutions,
        distances=tuple(distances),
        mean=float(np.mean(distances)),
    )


def sliced_wasserstein_distance(
    real_images,
    fake_images,
    resolution_min=RESOLUTION_MIN,
    descriptors_per_image=DESCRIPTORS_PER_IMAGE,
    num_projections=NUM_PROJECTIONS,
    normalization="channel",
    seed=0,
    batch_size=256,
):
    """SWD between two image sets (float [N, H, W, C] in [0, 1], one size, N >= 2 each; the
    fakes are compared in the real images' channel format, see `swd_between`).

    Uses the first min(N_real, N_fake) images of each set (the sorted projections are paired
    one to one). Positions come from np.random.default_rng([seed, 0]) for the real images and
    [seed, 1] for the fakes, directions from [seed, 2]. Returns SlicedWasserstein (not x 1e3).
    """
    real_images = check_images(real_images, "real_images")
    fake_images = check_images(fake_images, "fake_images")
    batch_size = check_positive_int(batch_size, "batch_size")
    for name, images in (("real_images", real_images), ("fake_images", fake_images)):
        _check_count(len(images), name)
    count = min(len(real_images), len(fake_images))
    sets = []
    for stream, (name, images) in enumerate(
        (("real_images", real_images), ("fake_images", fake_images))
    ):
        descriptor_set = DescriptorSet(
            resolution_min, descriptors_per_image, seed=[seed, stream], name=name
        )
        if images.shape[1:3] != real_images.shape[1:3]:
            raise ValueError(
                f"real_images are {real_images.shape[1:]} but fake_images are "
                f"{images.shape[1:]}; score images of one size."
            )
        for start in range(0, count, batch_size):
            descriptor_set.add(images[start : min(start + batch_size, count)])
        sets.append(descriptor_set)
    return swd_between(*sets, num_projections, normalization, seed=[seed, 2])
