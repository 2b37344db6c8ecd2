"""ADA (Karras et al. 2020): augmentations applied with a probability p tuned from r_t.

See `AdaptiveAugment`. Randomness comes from the global generator (tf.random), or, with `seed`
(an int or a [2] int tensor), from stateless draws (`seeds`), so that a call is reproducible
and XLA draws the same.
"""

import gin
import tensorflow as tf

from compare_gan_tf.objectives.ada_transforms import blit, scale
from compare_gan_tf.objectives.image_ops import (
    adjust_brightness,
    adjust_saturation,
    check_images,
    per_sample,
)
from compare_gan_tf.objectives.seeds import Draws

ADA_TRANSFORMS = (
    "xflip",
    "rotate90",
    "translation",
    "scale",
    "brightness",
    "contrast",
    "saturation",
)


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
        check_images(images, "AdaptiveAugment", "build no AdaptiveAugment (no augmentation).")
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
            images = images * per_sample(tf.where(chosen, factors, 1.0))
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
