"""Differentiable augmentation of everything D sees: DiffAugment (Zhao et al. 2020) and ADA.

Both act on NHWC float images in [-1, 1] with an independent draw per image, keep static shapes
and are built from gathers, masks and arithmetic, so they are differentiable with respect to the
images (G is trained through them), run inside tf.function and run under `strategy.run`, where
each replica draws its own parameters. Apply one transform to every image D sees: D(T(x)) and
D(T(G(z))) in D's step and D(T(G(z))) in G's step (Zhao et al. 2020, section 3; Karras et al.
2020, section 2). Augmenting the real images only teaches G the augmented distribution.

Randomness comes from the global generator (tf.random), or, with `seed` (an int or a [2] int
tensor), from stateless draws (`seeds`), so that a call is reproducible and XLA draws the same.
"""

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.objectives.consistency import translate
from compare_gan_tf.objectives.seeds import Draws

DIFF_AUGMENT_POLICIES = ("color", "translation", "cutout")
ADA_TRANSFORMS = (
    "xflip",
    "rotate90",
    "translation",
    "scale",
    "brightness",
    "contrast",
    "saturation",
)


def _check_images(images, caller, fix):
    """Raises a ValueError naming `fix` unless `images` is a rank-4 NHWC batch."""
    if images.shape.rank != 4:
        raise ValueError(
            f"{caller} augments images [batch, height, width, channels]; got a tensor of shape "
            f"{images.shape}. For 2-D points and other non-image data {fix}"
        )
    if images.shape[1] is None or images.shape[2] is None:
        raise ValueError(f"{caller} needs static image sizes; got shape {images.shape}.")


def _per_sample(values):
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
    return images + _per_sample(shifts)


def adjust_saturation(images, factors):
    """Scales each pixel's deviation from its mean over channels by factors[i].

    One channel is left unchanged (its channel mean is the pixel itself).

    Args:
      images: float [B, H, W, C].
      factors: float [B]; 1 is the identity (exactly).
    """
    pixel_means = tf.reduce_mean(images, axis=3, keepdims=True)
    # Zhao et al. 2020 (DiffAugment code, rand_color): x' = mean_c(x) + s (x - mean_c(x)).
    return images + (_per_sample(factors) - 1.0) * (images - pixel_means)


def adjust_contrast(images, factors):
    """Scales each image's deviation from its mean (over pixels and channels) by factors[i].

    Args:
      images: float [B, H, W, C].
      factors: float [B]; 1 is the identity (exactly).
    """
    image_means = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    # Zhao et al. 2020 (DiffAugment code, rand_contrast): x' = mean(x) + c (x - mean(x)).
    return images + (_per_sample(factors) - 1.0) * (images - image_means)


def cutout(images, centres, size):
    """Zeroes a size[0] x size[1] rectangle of each image, clipped to the image.

    The rectangle of image i covers rows [r - size[0] // 2, r - size[0] // 2 + size[0]) and
    columns [c - size[1] // 2, c - size[1] // 2 + size[1]), with (r, c) = centres[i], as in the
    DiffAugment code; the part outside the image is dropped.

    Args:
      images: float [B, H, W, C].
      centres: int [B, 2], (row, column) of each rectangle's centre; may lie on the border.
      size: (height, width) of the rectangle, Python ints.
    """
    centres = tf.cast(centres, tf.int32)
    inside = []
    for axis, extent in ((1, size[0]), (2, size[1])):
        start = centres[:, axis - 1 : axis] - extent // 2
        positions = tf.range(images.shape[axis])[None, :]
        inside.append((positions >= start) & (positions < start + extent))
    covered = inside[0][:, :, None, None] & inside[1][:, None, :, None]
    return tf.where(covered, tf.zeros_like(images), images)


def _diff_color(images, draws):
    batch = tf.shape(images)[0]
    # Zhao et al. 2020 (DiffAugment code): b ~ U[-0.5, 0.5), s ~ U[0, 2), c ~ U[0.5, 1.5).
    images = adjust_brightness(images, draws.uniform([batch]) - 0.5)
    images = adjust_saturation(images, 2.0 * draws.uniform([batch]))
    return adjust_contrast(images, draws.uniform([batch]) + 0.5)


def _diff_translation(images, draws):
    batch = tf.shape(images)[0]
    offsets = []
    for size in (images.shape[1], images.shape[2]):
        # Zhao et al. 2020 (DiffAugment code, rand_translation): t ~ U{-S//8, ..., S//8}.
        limit = size // 8
        offsets.append(draws.uniform([batch], -limit, limit + 1, dtype=tf.int32))
    return translate(images, tf.stack(offsets, axis=1), padding="zeros")


def _diff_cutout(images, draws):
    batch = tf.shape(images)[0]
    size = (images.shape[1] // 2, images.shape[2] // 2)
    centres = []
    for extent, image_size in zip(size, images.shape[1:3]):
        # Zhao et al. 2020 (DiffAugment code, rand_cutout): centre ~ U{0, ..., S - (s mod 2)}.
        centres.append(draws.uniform([batch], 0, image_size + 1 - extent % 2, dtype=tf.int32))
    return cutout(images, tf.stack(centres, axis=1), size)


_DIFF_AUGMENT_FNS = {
    "color": _diff_color,
    "translation": _diff_translation,
    "cutout": _diff_cutout,
}


def _policy_names(policy):
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [name.strip() for name in names if name.strip()]
    for name in names:
        check_choice("DiffAugment policy", name, DIFF_AUGMENT_POLICIES)
    return names


@gin.configurable
def diff_augment(images, policy="color,translation,cutout", seed=None):
    """DiffAugment T(x) (Zhao et al. 2020): the policies in order, one draw per image.

    - color: brightness b ~ U[-0.5, 0.5) added, saturation (deviation from the pixel's channel
      mean) scaled by U[0, 2), contrast (deviation from the image mean) scaled by U[0.5, 1.5).
      Saturation does nothing to one-channel images.
    - translation: an integer shift in [-H // 8, H // 8] down and [-W // 8, W // 8] across,
      independently, with zero fill. The code shifts content by -t where `translate` shifts
      by +t; t is symmetric, so the distribution is the same.
    - cutout: a zeroed (H // 2) x (W // 2) rectangle (see `cutout`) whose centre row is uniform
      in {0, ..., H}, or {0, ..., H - 1} when H // 2 is odd, so that the rectangle overhangs
      each border equally often (likewise for columns); the overhang is dropped.

    The authors' code works on images in [-1, 1] (BigGAN's and StyleGAN2's range), the range
    used here, so its brightness range and its zero fill (mid grey) apply unchanged. The paper's
    default for small data is "color,translation,cutout"; the LeCam BigGAN CIFAR scripts use
    "translation,cutout".

    Args:
      images: float [B, H, W, C] with static H, W (any C). Cast to float32.
      policy: comma-separated names from "color", "translation", "cutout" (or a sequence of
        them); "" returns `images` unchanged, whatever their shape.
      seed: None for the global generator, or an int / [2] int tensor for stateless draws.

    Returns:
      float32 [B, H, W, C].
    """
    names = _policy_names(policy)
    if not names:
        return images
    images = tf.convert_to_tensor(images)
    _check_images(images, "diff_augment", 'turn it off with policy="".')
    images = tf.cast(images, tf.float32)
    draws = Draws(seed)
    for name in names:
        images = _DIFF_AUGMENT_FNS[name](images, draws)
    return images


def _reflect(indices, size):
    """Mirror index (the edge pixel not repeated) of any integer index along an axis of `size`."""
    if size == 1:
        return tf.zeros_like(indices)
    folded = tf.math.floormod(indices, 2 * (size - 1))
    return (size - 1) - tf.abs((size - 1) - folded)


def _rotated_source(rows, cols, turns, last):
    """Input (row, column) read by output (rows, cols) after turning by 90 * turns degrees."""
    # numpy rot90 by k = 1, 2, 3: out[i, j] = in[j, n-1-i], in[n-1-i, n-1-j], in[n-1-j, i].
    candidate_rows = (rows, cols, last - rows, last - cols)
    candidate_cols = (cols, last - rows, last - cols, rows)
    source_rows, source_cols = rows, cols
    for k in (1, 2, 3):
        source_rows = tf.where(turns == k, candidate_rows[k], source_rows)
        source_cols = tf.where(turns == k, candidate_cols[k], source_cols)
    return source_rows, source_cols


def blit(images, flips=None, rotations=None, offsets=None):
    """ADA's pixel blitting: x-flip, then a rotation by a multiple of 90 degrees, then a shift.

    Pixels move exactly (one gather); pixels brought in from outside the image are mirrored
    copies (the edge pixel not repeated), as ADA pads by reflection.

    Args:
      images: float [B, H, W, C]; square if `rotations` is given.
      flips: int or bool [B], or None; non-zero mirrors image i left-right.
      rotations: int [B], or None; image i turns by 90 * rotations[i] degrees
        counter-clockwise (numpy's rot90 over the height and width axes).
      offsets: int [B, 2], or None; image i then moves down by offsets[i, 0] and right by
        offsets[i, 1] pixels.

    Returns:
      [B, H, W, C], the dtype of `images`.
    """
    height, width = images.shape[1], images.shape[2]
    if rotations is not None and height != width:
        raise ValueError(
            f"90-degree rotations need square images; got {height}x{width}. Pass no rotations "
            "(AdaptiveAugment: rotate90=0)."
        )
    batch = tf.shape(images)[0]
    rows = tf.broadcast_to(tf.range(height)[None, :, None], [batch, height, width])
    cols = tf.broadcast_to(tf.range(width)[None, None, :], [batch, height, width])
    # Each output pixel reads the input pixel found by undoing the shift, the turn, the flip.
    if offsets is not None:
        offsets = tf.cast(offsets, tf.int32)
        rows = _reflect(rows - offsets[:, 0, None, None], height)
        cols = _reflect(cols - offsets[:, 1, None, None], width)
    if rotations is not None:
        turns = tf.math.floormod(tf.cast(rotations, tf.int32), 4)[:, None, None]
        rows, cols = _rotated_source(rows, cols, turns, height - 1)
    if flips is not None:
        mirrored = tf.cast(flips, tf.int32)[:, None, None] != 0
        cols = tf.where(mirrored, width - 1 - cols, cols)
    return tf.gather_nd(images, tf.stack([rows, cols], axis=-1), batch_dims=1)


def _scale_axis(images, factors, axis):
    """`scale` along one spatial axis (1: rows, 2: columns)."""
    size = images.shape[axis]
    centre = (size - 1) / 2.0
    # Two sub-samples per output pixel, a quarter pixel either side of its centre.
    samples = (tf.range(2 * size, dtype=tf.float32) + 0.5) / 2.0 - 0.5
    # Karras et al. 2020 (ADA code, scale_2d_inv): output position u reads c + (u - c) / s.
    source = centre + (samples[None, :] - centre) / factors[:, None]
    lower = tf.floor(source)
    weights = source - lower
    lower = tf.cast(lower, tf.int32)
    below = tf.gather(images, _reflect(lower, size), axis=axis, batch_dims=1)
    above = tf.gather(images, _reflect(lower + 1, size), axis=axis, batch_dims=1)
    weight_shape = [-1, 1, 1, 1]
    weight_shape[axis] = 2 * size
    mixed = below + tf.reshape(weights, weight_shape) * (above - below)
    channels = images.shape[3] if images.shape[3] is not None else tf.shape(images)[3]
    pairs = [-1, images.shape[1], images.shape[2], channels]
    pairs.insert(axis + 1, 2)
    pairs[axis] = size
    return tf.reduce_mean(tf.reshape(mixed, pairs), axis=axis + 1)


def scale(images, factors):
    """ADA's isotropic scaling about the image centre: the content grows by factors[i].

    Linear interpolation at 2 x 2 sub-samples per output pixel, averaged (light anti-aliasing,
    after ADA's resampling at twice the resolution), with mirrored pixels beyond the border.
    Even a factor of 1 blurs slightly, by [1, 6, 1] / 8 along each axis, so AdaptiveAugment only
    passes the images drawn for scaling through it.

    Args:
      images: float [B, H, W, C].
      factors: float [B], positive.

    Returns:
      float [B, H, W, C].
    """
    factors = tf.cast(factors, tf.float32)
    return _scale_axis(_scale_axis(images, factors, axis=1), factors, axis=2)


def _all_replicas(value, reduce_op):
    """`value` reduced over the replicas in a replica context; unchanged in a cross-replica one."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return value
    return context.all_reduce(reduce_op, value)


@gin.configurable(denylist=["batch_size"])  # the GAN's global batch
class AdaptiveAugment(tf.Module):
    """ADA (Karras et al. 2020): augmentations applied with probability p, p tuned from r_t.

    The pipeline is a subset of the paper's default "bgc", in its order: x-flip, 90-degree
    rotations, integer translation (pixel blitting), isotropic scaling (geometric), brightness,
    contrast, saturation (color). Each transform is drawn for an image with probability
    multiplier * p; when drawn, its parameter follows the ADA code: a flip with probability 1/2,
    a turn by k * 90 degrees with k uniform in {0, 1, 2, 3}, a shift of rint(U(-1/8, 1/8) x size)
    on each axis, a scale of 2^N(0, 0.2^2), brightness + N(0, 0.2^2), contrast x 2^N(0, 0.5^2)
    (about 0, mid grey) and saturation x 2^N(0, 1) about each pixel's channel mean (the luma axis
    of RGB; skipped for one channel). Images not drawn for a transform pass through it exactly,
    so p = 0 is the identity.

    Left out at 8-64 px: arbitrary rotation, anisotropic scaling and fractional translation
    resample at sub-pixel positions every time, which blurs strokes one or two pixels wide; luma
    flip negates a one-channel image and hue rotation does nothing to it. On data with a
    canonical orientation (digits), 90-degree rotations leak into G's samples when p is high
    (the paper's section 2): set rotate90=0 there.

    Build it inside `strategy.scope()`; p, r_t and the r_t accumulators are non-trainable
    float32 variables (tracked by tf.train.Checkpoint through this module). Every D step, call it
    on the real and the fake images and pass D's real logits to `accumulate`; every `interval` D
    steps, call `update()`.

    Args:
      batch_size: images per D step, summed over the replicas (the global batch).
      target: the r_t target (0.6, the paper's and code's default).
      interval: D steps between adjustments of p (4 in the code, `ada_interval`).
      ada_kimg: thousands of images for p to move by 1 (500 in the code); a few units let a
        tiny run move p within a few hundred steps.
      initial_p: starting p.
      xflip, rotate90, translation, scale, brightness, contrast, saturation: probability
        multipliers (1 in "bgc"; 0 turns a transform off).
      name: module name.
    """

    def __init__(
        self,
        batch_size,
        target=0.6,
        interval=4,
        ada_kimg=500.0,
        initial_p=0.0,
        xflip=1.0,
        rotate90=1.0,
        translation=1.0,
        scale=1.0,
        brightness=1.0,
        contrast=1.0,
        saturation=1.0,
        name="adaptive_augment",
    ):
        super().__init__(name=name)
        if batch_size < 1 or interval < 1 or ada_kimg <= 0:
            raise ValueError(
                f"AdaptiveAugment needs batch_size >= 1, interval >= 1 and ada_kimg > 0; got "
                f"{batch_size}, {interval} and {ada_kimg}."
            )
        self.batch_size = int(batch_size)
        self.target = float(target)
        self.interval = int(interval)
        self.ada_kimg = float(ada_kimg)
        self.multipliers = dict(
            xflip=float(xflip),
            rotate90=float(rotate90),
            translation=float(translation),
            scale=float(scale),
            brightness=float(brightness),
            contrast=float(contrast),
            saturation=float(saturation),
        )
        for transform, multiplier in self.multipliers.items():
            if multiplier < 0:
                raise ValueError(f"{transform}={multiplier}: multipliers must be >= 0.")
        # MEAN aggregation lets each replica assign; every replica assigns the same value.
        variable = dict(trainable=False, dtype=tf.float32, aggregation=tf.VariableAggregation.MEAN)
        self.p = tf.Variable(float(initial_p), name="p", **variable)
        self.r_t = tf.Variable(0.0, name="r_t", **variable)
        self.sign_sum = tf.Variable(0.0, name="sign_sum", **variable)
        self.sign_count = tf.Variable(0.0, name="sign_count", **variable)

    @property
    def adjustment(self):
        """How much one `update` moves p: batch_size * interval / (ada_kimg * 1000)."""
        return self.batch_size * self.interval / (self.ada_kimg * 1000.0)

    def _chosen(self, draws, batch, transform, p):
        """Boolean [B]: the images that get `transform` (probability multiplier * p)."""
        return draws.uniform([batch]) < self.multipliers[transform] * p

    def _blit(self, images, draws, batch, p):
        m = self.multipliers
        flips = rotations = offsets = None
        if m["xflip"] > 0:
            # Karras et al. 2020 (ADA code, xflip): i ~ U{0, 1}, gated by p.
            flip = draws.uniform([batch], 0, 2, dtype=tf.int32)
            flips = tf.where(self._chosen(draws, batch, "xflip", p), flip, 0)
        if m["rotate90"] > 0:
            # Karras et al. 2020 (ADA code, rotate90): k ~ U{0, 1, 2, 3}, gated by p.
            turn = draws.uniform([batch], 0, 4, dtype=tf.int32)
            rotations = tf.where(self._chosen(draws, batch, "rotate90", p), turn, 0)
        if m["translation"] > 0:
            sizes = tf.constant([images.shape[1], images.shape[2]], tf.float32)
            # Karras et al. 2020 (ADA code, xint): t = rint(U(-1/8, 1/8) * size), gated by p.
            shift = tf.cast(
                tf.math.rint(draws.uniform([batch, 2], -0.125, 0.125) * sizes), tf.int32
            )
            offsets = tf.where(self._chosen(draws, batch, "translation", p)[:, None], shift, 0)
        if flips is None and rotations is None and offsets is None:
            return images
        return blit(images, flips, rotations, offsets)

    def __call__(self, images, seed=None):
        """Augments a batch: each transform with probability multiplier * p, per image.

        Args:
          images: float [B, H, W, C] in [-1, 1], static H and W (square if rotate90 > 0).
          seed: None for the global generator, or an int / [2] int tensor for stateless draws.

        Returns:
          float32 [B, H, W, C].
        """
        images = tf.convert_to_tensor(images)
        _check_images(images, "AdaptiveAugment", "build no AdaptiveAugment (no augmentation).")
        if self.multipliers["rotate90"] > 0 and images.shape[1] != images.shape[2]:
            raise ValueError(
                f"rotate90 needs square images; got {images.shape[1]}x{images.shape[2]}. "
                "Build AdaptiveAugment with rotate90=0."
            )
        images = tf.cast(images, tf.float32)
        p = tf.convert_to_tensor(self.p)
        draws = Draws(seed)
        batch = tf.shape(images)[0]
        images = self._blit(images, draws, batch, p)
        if self.multipliers["scale"] > 0:
            # Karras et al. 2020 (ADA code, scale): s = 2^N(0, 0.2^2), gated by p.
            factors = 2.0 ** draws.normal([batch], 0.2)
            chosen = self._chosen(draws, batch, "scale", p)
            images = tf.where(chosen[:, None, None, None], scale(images, factors), images)
        if self.multipliers["brightness"] > 0:
            # Karras et al. 2020 (ADA code, brightness): b ~ N(0, 0.2^2), gated by p.
            shifts = draws.normal([batch], 0.2)
            chosen = self._chosen(draws, batch, "brightness", p)
            images = adjust_brightness(images, tf.where(chosen, shifts, 0.0))
        if self.multipliers["contrast"] > 0:
            # Karras et al. 2020 (ADA code, contrast): x' = c x, c = 2^N(0, 0.5^2), gated by p.
            factors = 2.0 ** draws.normal([batch], 0.5)
            chosen = self._chosen(draws, batch, "contrast", p)
            images = images * _per_sample(tf.where(chosen, factors, 1.0))
        if self.multipliers["saturation"] > 0 and images.shape[3] != 1:
            # Karras et al. 2020 (ADA code, saturation): s = 2^N(0, 1), gated by p.
            factors = 2.0 ** draws.normal([batch], 1.0)
            chosen = self._chosen(draws, batch, "saturation", p)
            images = adjust_saturation(images, tf.where(chosen, factors, 1.0))
        return images

    def accumulate(self, real_logits):
        """Adds the signs of D's logits on (augmented) real images to the r_t statistics.

        In a replica context the sums are taken over all replicas first.

        Args:
          real_logits: float [B, 1] (or any shape), D's logits on the real batch.
        """
        signs = tf.sign(tf.cast(real_logits, tf.float32))
        total = _all_replicas(tf.reduce_sum(signs), tf.distribute.ReduceOp.SUM)
        count = _all_replicas(tf.cast(tf.size(signs), tf.float32), tf.distribute.ReduceOp.SUM)
        self.sign_sum.assign_add(total)
        self.sign_count.assign_add(count)

    def update(self, real_signs_mean=None, due=True):
        """Moves p by one step toward r_t = target and empties the accumulators.

        Args:
          real_signs_mean: r_t = E[sign(D(x))] over the D steps since the last update, or None
            for the mean gathered by `accumulate` (0 if nothing was gathered). A value given in
            a replica context is averaged over the replicas.
          due: a bool (tensor); when False nothing changes, so a compiled step can call it
            every D step and pass whether `interval` steps have passed.

        Returns:
          The new p, a float32 scalar.
        """
        if real_signs_mean is None:
            r_t = tf.math.divide_no_nan(
                tf.convert_to_tensor(self.sign_sum), tf.convert_to_tensor(self.sign_count)
            )
        else:
            r_t = tf.cast(real_signs_mean, tf.float32)
            r_t = _all_replicas(r_t, tf.distribute.ReduceOp.MEAN)
        # Karras et al. 2020, section 3 (code: ada_interval, ada_kimg):
        # p <- p + sign(r_t - target) * batch * interval / (ada_kimg * 1000), kept in [0, 1].
        p = tf.clip_by_value(self.p + tf.sign(r_t - self.target) * self.adjustment, 0.0, 1.0)
        # tf.where, not tf.cond: an assignment inside a conditional cannot synchronize replicas.
        p = tf.where(due, p, tf.convert_to_tensor(self.p))
        self.p.assign(p)
        self.r_t.assign(tf.where(due, r_t, tf.convert_to_tensor(self.r_t)))
        for total in (self.sign_sum, self.sign_count):
            total.assign(tf.where(due, tf.zeros([]), tf.convert_to_tensor(total)))
        return p
