"""SSGAN (Chen et al. 2019, "Self-Supervised GANs via Auxiliary Rotation Loss") and what S3GAN
shares with it: auxiliary heads on D's features and the terms they add to the losses.

`GANObjective.self_supervision` picks the task: "rotation_gan" or "rotation_only" (SSGAN,
compare_gan's `gans/ssgan.py`; settings `SelfSupervision.*`) or "s3gan" (s3gan.py; settings
`S3GAN.*`). A task holds Keras heads (`LinearHead`s) that `build` creates on the
discriminator's features, inside the strategy's scope; the GAN trains them with D's optimizer
and checkpoints them. The D step calls D once on the real and fake batches, each followed by
its rotated examples (as compare_gan does), and reads from the features the GAN logits (D's own
head), the rotation logits and S3GAN's class prediction; the G step does the same on fakes.
"""

from collections.abc import Callable
from typing import NamedTuple

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers.heads import LinearHead
from compare_gan_tf.objectives.rotation import NUM_ROTATIONS, rotation_loss, with_rotations


class DiscriminatorParts(NamedTuple):
    """D as its features and its output head, both closing over training=True:
    features(images) -> [B, C]; head(features, labels) -> logits [B, 1]."""

    features: Callable
    head: Callable


def check_weight(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{name} must be a number >= 0; got {value!r}.")


class AuxiliaryTask:
    """What SSGAN and S3GAN share: the heads, the batch with its rotations, the D call.

    The losses call the heads in training mode, as D's parts are: spectral norm's
    power-iteration vectors advance on every call (compare_gan's, on every forward pass)."""

    rotation = True
    weight_rotation_loss_d = weight_rotation_loss_g = 0.0
    gan_weight = 1.0

    def __init__(self):
        self.rotation_head = self.class_head = None
        self.batch_size = self.count = None

    @property
    def heads(self):
        return [head for head in (self.rotation_head, self.class_head) if head is not None]

    @property
    def weights(self):
        return [weight for head in self.heads for weight in head.weights]

    @property
    def trainable_variables(self):
        return [variable for head in self.heads for variable in head.trainable_variables]

    def discriminator_classes(self, num_classes):
        """The classes of D's projection head (None: an unconditional D)."""
        return num_classes

    def build(self, discriminator, images, *, num_classes, global_batch_size, replicas=1, micro=1):
        """Checks the settings against the batch and creates the heads on D's features of
        `images` (call inside the strategy's scope). Each of the `replicas` splits its batch
        into `micro` micro-batches (GAN.accumulation_steps); the task sees one at a time."""
        self.batch_size = global_batch_size // (replicas * micro)
        split = f"{replicas} replica(s)" + (f" x {micro} micro-batches" if micro > 1 else "")
        if self.rotation:
            if images.shape.rank != 4 or images.shape[1] != images.shape[2]:
                raise ConfigError(
                    "The rotation task needs square images; this dataset's examples have shape "
                    f"{tuple(images.shape[1:])}. Use an image dataset, or no rotation."
                )
            self.count = self._rotated_count(global_batch_size, replicas * micro, split)
        options = getattr(discriminator, "weight_options", dict)()
        if self.rotation:
            self.rotation_head = LinearHead(
                NUM_ROTATIONS, "score_classify", name="discriminator_rotation", **options
            )
        if getattr(self, "use_predictor", False):
            self.class_head = LinearHead(
                num_classes, "predictor_linear", name="discriminator_predictor", **options
            )
        features = discriminator.features(images)
        for head in self.heads:
            head(features)

    def features(self, features_view, batches):
        """[(features [B, C], rotation-task features [4n, C] or None)] of each batch, from
        one D call on all batches, each followed by its rotated examples."""
        pieces, task = [], None
        for images in batches:
            if images.shape[0] not in (None, self.batch_size):
                raise ValueError(
                    f"The auxiliary task was built for batches of {self.batch_size} examples, "
                    f"got {images.shape[0]}."
                )
            if self.rotation:
                images, task = with_rotations(images, self.batch_size, self.count)
            pieces.append(images)
        features = features_view(tf.concat(pieces, axis=0), None)
        size = self.batch_size + (3 * self.count if self.rotation else 0)
        result = []
        for index in range(len(batches)):
            own = features[index * size : (index + 1) * size]
            result.append((own[: self.batch_size], None if task is None else tf.gather(own, task)))
        return result

    def logits(self, parts, features, labels, class_logits=None):
        return parts.head(features, labels)

    def logits_fn(self, parts, features_view):
        """D's logits as the task sees them, for the terms that call D again (penalties, CR)."""

        def logits(images, labels):
            features = features_view(images, labels)
            class_logits = None
            if self.class_head is not None:
                class_logits = self.class_head(features, training=True)
            return self.logits(parts, features, labels, class_logits)

        return logits

    def discriminator_terms(self, parts, features_view, real, fake, labels, fake_labels):
        """(real logits, fake logits, {part: weighted loss}, {metric: value}) of the D step."""
        (real_features, real_task), (fake_features, fake_task) = self.features(
            features_view, [real, fake]
        )
        terms, monitor = {}, {}
        class_logits = None
        if self.class_head is not None:
            class_logits = self.class_head(real_features, training=True)
            terms["class_real"], class_monitor = self.class_terms(class_logits, labels)
            monitor.update(class_monitor)
        real_logits = self.logits(parts, real_features, labels, class_logits)
        fake_logits = self.logits(parts, fake_features, fake_labels)
        if self.rotation:
            task = tf.concat([real_task, fake_task], axis=0)
            rotation_logits = self.rotation_head(task, training=True)
            real_rotations, fake_rotations = tf.split(rotation_logits, 2)
            real_loss, monitor["d_rotation_accuracy"] = rotation_loss(real_rotations, self.count)
            fake_loss, monitor["d_rotation_accuracy_fake"] = rotation_loss(
                fake_rotations, self.count
            )
            monitor["c_real_loss"], monitor["c_fake_loss"] = real_loss, fake_loss
            # Chen et al. 2019, eq. 1: L_D = GAN loss + beta E_r[-log Q_D(R = r | x_real^r)].
            terms["rotation_real"] = self.weight_rotation_loss_d * real_loss
        return real_logits, fake_logits, terms, monitor

    def generator_terms(self, parts, features_view, fake, fake_labels):
        """(fake logits, {part: weighted loss}) of the G step."""
        ((features, task),) = self.features(features_view, [fake])
        terms = {}
        if self.rotation:
            fake_loss, _ = rotation_loss(self.rotation_head(task, training=True), self.count)
            # Chen et al. 2019, eq. 1: L_G = GAN loss + alpha E_r[-log Q_D(R = r | G(z)^r)].
            terms["rotation_fake"] = self.weight_rotation_loss_g * fake_loss
        return self.logits(parts, features, fake_labels), terms


@gin.configurable("SelfSupervision", denylist=["mode"])
class SelfSupervision(AuxiliaryTask):
    """SSGAN's rotation task (Chen et al. 2019; compare_gan's `SSGAN`).

    `mode` is GANObjective.self_supervision: "rotation_gan" (the GAN losses plus the rotation
    losses) or "rotation_only" (the rotation losses alone; every other term is multiplied by 0,
    as compare_gan's `d_loss *= 0.0`).

    Args:
      rotated_batch_size: required; the number of images in the rotation task per update over
        all replicas: 4 (rotations) per chosen image, so rotated_batch_size / 4 images of the
        real batch and as many of the fake batch are rotated. It must be a multiple of 4 x the
        replicas (x GAN.accumulation_steps) and at most 4 x Experiment.batch_size.
      weight_rotation_loss_d: beta, the weight of the rotation loss on reals in D's loss (1.0).
      weight_rotation_loss_g: alpha, the weight of the rotation loss on fakes in G's loss (0.2).
    """

    def __init__(
        self,
        mode="rotation_gan",
        rotated_batch_size=None,
        weight_rotation_loss_d=1.0,
        weight_rotation_loss_g=0.2,
    ):
        super().__init__()
        check_choice("SSGAN mode", mode, ("rotation_gan", "rotation_only"))
        check_weight("SelfSupervision.weight_rotation_loss_d", weight_rotation_loss_d)
        check_weight("SelfSupervision.weight_rotation_loss_g", weight_rotation_loss_g)
        self.mode = mode
        self.gan_weight = 0.0 if mode == "rotation_only" else 1.0
        self.rotated_batch_size = rotated_batch_size
        self.weight_rotation_loss_d = weight_rotation_loss_d
        self.weight_rotation_loss_g = weight_rotation_loss_g

    def _rotated_count(self, global_batch_size, calls, split):
        size, unit, most = self.rotated_batch_size, 4 * calls, 4 * global_batch_size
        valid = isinstance(size, int) and not isinstance(size, bool)
        if not (valid and 0 < size <= most and size % unit == 0):
            example = max(unit, global_batch_size - global_batch_size % unit)
            raise ConfigError(
                f"SelfSupervision.rotated_batch_size = {size!r} (required with "
                f"GANObjective.self_supervision = {self.mode!r}) must be a multiple of 4 x "
                f"{calls} (4 rotations of equally many images in each batch of the {split}) "
                f"and at most 4 x Experiment.batch_size = {most}; bind e.g. "
                f"SelfSupervision.rotated_batch_size = {example}."
            )
        return size // unit


def build_heads(task, discriminator, make_images, split, num_classes):
    """(DiscriminatorParts of `discriminator` in training mode, the heads) after building
    `task`'s heads on D's features of `make_images()`; `split` is (global batch size, replicas,
    micro-batches per replica), see AuxiliaryTask.build; `num_classes` the data's (None:
    unlabelled). (None, []) when `task` is None."""
    if task is None:
        return None, []
    global_batch_size, replicas, micro = split
    task.build(
        discriminator,
        make_images(),
        num_classes=num_classes,
        global_batch_size=global_batch_size,
        replicas=replicas,
        micro=micro,
    )
    parts = DiscriminatorParts(
        lambda images: discriminator.features(images, training=True),
        lambda features, labels: discriminator.head(features, labels, training=True),
    )
    return parts, task.heads
