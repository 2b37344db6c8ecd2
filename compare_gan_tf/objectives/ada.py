"""ADA (Karras et al. 2020): augmentations applied with a probability p tuned from r_t.

See `AdaptiveAugment`. Randomness comes from the global generator (tf.random), or, with `seed`
(an int or a [2] int tensor), from stateless draws (`seeds`), so that a call is reproducible
and XLA draws the same.
"""

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import ada_pipelines
from compare_gan_tf.objectives.image_ops import check_images
from compare_gan_tf.objectives.seeds import Draws

# The default pipeline "bgc_subset": the transforms that move pixels exactly or act on colour
# alone, plus isotropic scaling.
ADA_TRANSFORMS = (
    "xflip",
    "rotate90",
    "translation",
    "scale",
    "brightness",
    "contrast",
    "saturation",
)
# Karras et al. 2020 (ADA code, augpipe_specs["bgc"]), in the order the code applies them.
BGC_TRANSFORMS = (
    "xflip",
    "rotate90",
    "translation",
    "scale",
    "rotate",
    "aniso",
    "xfrac",
    "brightness",
    "contrast",
    "lumaflip",
    "hue",
    "saturation",
)
ADA_PIPELINES = {"bgc_subset": ADA_TRANSFORMS, "bgc": BGC_TRANSFORMS}


def _all_replicas(value, reduce_op):
    """`value` reduced over the replicas in a replica context; unchanged in a cross-replica one."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return value
    return context.all_reduce(reduce_op, value)


def _multipliers(pipeline, given):
    """Every bgc transform's multiplier: given, else 1 in `pipeline` and 0 outside it."""
    members = ADA_PIPELINES[pipeline]
    multipliers = {}
    for transform in BGC_TRANSFORMS:
        value = given[transform]
        multiplier = float(value) if value is not None else float(transform in members)
        if multiplier < 0:
            raise ConfigError(
                f"AdaptiveAugment.{transform} = {value!r}: a probability multiplier must be >= 0 "
                "(0 turns the transform off)."
            )
        if multiplier and transform not in members:
            raise ConfigError(
                f"AdaptiveAugment.{transform} = {value}: {transform} is not in "
                f"AdaptiveAugment.pipeline = {pipeline!r} ({', '.join(members)}); bind "
                'AdaptiveAugment.pipeline = "bgc" or set the multiplier to 0.'
            )
        multipliers[transform] = multiplier
    return multipliers


@gin.configurable(denylist=["batch_size"])  # the GAN's global batch
class AdaptiveAugment(tf.Module):
    """ADA (Karras et al. 2020): augmentations applied with probability p, p tuned from r_t.

    Two pipelines (`pipeline`), each in the order of the paper's code. Each transform is drawn
    for an image with probability multiplier * p; when drawn, its parameter follows the code:
    - "bgc_subset" (the default, which the shipped configs and the existing numbers rely on):
      x-flip, 90-degree rotations, integer translation (exact pixel blitting), isotropic
      scaling, brightness, contrast, saturation. A flip with probability 1/2, a turn by k * 90
      degrees with k uniform in {0, 1, 2, 3}, a shift of rint(U(-1/8, 1/8) x size) on each axis,
      a scale of 2^N(0, 0.2^2) (`scale`), brightness + N(0, 0.2^2), contrast x 2^N(0, 0.5^2)
      (about 0, mid grey) and saturation x 2^N(0, 1) about each pixel's channel mean (skipped
      for one channel; any number of channels).
    - "bgc" (the paper's default): the same blitting, then isotropic scaling, an arbitrary
      rotation by U(-pi, pi), anisotropic scaling by 2^N(0, 0.2^2) (width x s, height / s), a
      second rotation, fractional translation by N(0, (size / 8)^2) on each axis, composed into
      one affine map and resampled once (`warp`: bilinear, not the code's wavelet-filtered
      resampling; see its docstring); then brightness, contrast, luma flip (probability 1/2),
      hue rotation by U(-pi, pi) about the luma axis and saturation, composed into one colour
      matrix (ada_color). Each rotation is drawn with probability 1 - sqrt(1 - rotate * p), so
      that at least one happens with probability rotate * p. For one-channel images hue and
      saturation are skipped (the identity on grey) and luma flip negates the image, as in the
      code; colour needs 1 or 3 channels. The code folds the blitting into the same affine map;
      here it stays an exact gather before the warp (the same composed map; the border is
      mirrored by each).
    Images not drawn for any transform of a stage pass through it exactly, so p = 0 is the
    identity. The subset leaves out what blurs strokes one or two pixels wide at 8-64 px (the
    sub-pixel resampling of rotation, anisotropic scaling and fractional translation) and luma
    flip and hue (on one-channel data the one negates the image, the other does nothing).
    A multiplier of a transform outside the chosen pipeline must stay
    0 (ConfigError otherwise): silently ignoring it would hide a config error. On data with a
    canonical orientation (digits), rotations leak into G's samples when p is high (the paper's
    section 2): set rotate90=0 (and rotate=0 in "bgc") there.

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
      pipeline: "bgc_subset" or "bgc" (`ADA_PIPELINES`).
      xflip, rotate90, translation (the code's xint), scale, brightness, contrast, saturation:
        probability multipliers (1 as in "bgc"; 0 turns a transform off).
      rotate, aniso, xfrac, lumaflip, hue: probability multipliers of the transforms only
        "bgc" has; None is 1 with pipeline "bgc" and 0 otherwise.
      name: module name.
    """

    def __init__(
        self,
        batch_size,
        target=0.6,
        interval=4,
        ada_kimg=500.0,
        initial_p=0.0,
        pipeline="bgc_subset",
        xflip=1.0,
        rotate90=1.0,
        translation=1.0,
        scale=1.0,
        rotate=None,
        aniso=None,
        xfrac=None,
        brightness=1.0,
        contrast=1.0,
        lumaflip=None,
        hue=None,
        saturation=1.0,
        name="adaptive_augment",
    ):
        super().__init__(name=name)
        if batch_size < 1 or interval < 1 or ada_kimg <= 0:
            raise ConfigError(
                f"AdaptiveAugment needs batch_size >= 1, interval >= 1 and ada_kimg > 0; got "
                f"{batch_size}, AdaptiveAugment.interval = {interval} and "
                f"AdaptiveAugment.ada_kimg = {ada_kimg}."
            )
        self.pipeline = check_choice(
            "AdaptiveAugment.pipeline", pipeline, tuple(ADA_PIPELINES), error=ConfigError
        )
        self.batch_size = int(batch_size)
        self.target = float(target)
        self.interval = int(interval)
        self.ada_kimg = float(ada_kimg)
        given = dict(xflip=xflip, rotate90=rotate90, translation=translation, scale=scale)
        given.update(rotate=rotate, aniso=aniso, xfrac=xfrac, brightness=brightness)
        given.update(contrast=contrast, lumaflip=lumaflip, hue=hue, saturation=saturation)
        self.multipliers = _multipliers(self.pipeline, given)
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

    def __call__(self, images, seed=None):
        """Augments a batch: each transform with probability multiplier * p, per image.

        Args:
          images: float [B, H, W, C] in [-1, 1], static H and W (square if rotate90 > 0; C of
            1 or 3 for the colour transforms of "bgc").
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
        m = self.multipliers
        images = ada_pipelines.blit_stage(images, draws, m, p)
        if self.pipeline == "bgc_subset":
            return ada_pipelines.subset_stage(images, draws, m, p)
        images = ada_pipelines.geometric_stage(images, draws, m, p)
        return ada_pipelines.color_stage(images, draws, m, p)

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
