"""S3GAN (Lucic et al. 2019, "High-Fidelity Image Generation With Fewer Labels"): the rotation
task, a class predictor on D's features and projection on real or predicted labels.

compare_gan's `gans/s3gan.py`, with its parameters and defaults (gin: `S3GAN.*`), on the
discriminator's own projection head. Unlabelled real examples carry the label -1 (compare_gan:
an all-zero one-hot vector, which `tf.one_hot(-1, K)` is); `dataset.labeled_fraction` keeps
the labels of a part of the training set. Where compare_gan ignores `penalty.fn`, the penalty
here applies, on D as S3GAN sees it (missing labels predicted).
"""

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives.rotation import NUM_ROTATIONS
from compare_gan_tf.objectives.self_supervision import AuxiliaryTask, check_weight


def _replica_mean(value):
    """The mean of `value` over the replicas (itself on one device)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)


@gin.configurable("S3GAN")
class S3GAN(AuxiliaryTask):
    """S3GAN's heads and losses (Lucic et al. 2019; compare_gan's `S3GAN`).

    Args:
      self_supervision: "rotation" (the rotation task, as SSGAN) or "none".
      rotated_batch_fraction: required with rotation: 1 / the fraction of each per-replica batch
        (micro-batch) that is rotated, B / fraction images (4 versions of B / (4 fraction)
        images); B must be a multiple of 4 x fraction.
      weight_rotation_loss_d, weight_rotation_loss_g: as SelfSupervision's (1.0 and 0.2).
      project_y: D projects on the labels (Miyato & Koyama 2018); False makes D unconditional.
      use_predictor: a linear classifier on D's features, trained on the labelled reals with
        softmax cross-entropy; its prediction replaces the missing labels (-1) in the
        projection, under stop_gradient. Needs project_y.
      use_soft_pred: the predicted class probabilities replace a missing label (else the
        one-hot of the most likely class).
      weight_class_loss: the weight of the classifier's loss in D's loss (1.0).
      use_soft_labels: the real labels are float vectors [B, num_classes] (soft labels;
        all-zero: unlabelled); int labels are then taken as their one-hot vectors. The
        datasets here yield int labels.
    """

    def __init__(
        self,
        self_supervision="rotation",
        rotated_batch_fraction=None,
        weight_rotation_loss_d=1.0,
        weight_rotation_loss_g=0.2,
        project_y=False,
        use_predictor=False,
        use_soft_pred=False,
        weight_class_loss=1.0,
        use_soft_labels=False,
    ):
        super().__init__()
        check_choice(
            "S3GAN.self_supervision", self_supervision, ("rotation", "none"), error=ConfigError
        )
        for name, value in (
            ("weight_rotation_loss_d", weight_rotation_loss_d),
            ("weight_rotation_loss_g", weight_rotation_loss_g),
            ("weight_class_loss", weight_class_loss),
        ):
            check_weight(f"S3GAN.{name}", value)
        if use_predictor and not project_y:
            raise ConfigError(
                "S3GAN.use_predictor = True needs S3GAN.project_y = True: the predicted labels "
                "are what D projects on."
            )
        if use_soft_pred and not use_predictor:
            raise ConfigError(
                "S3GAN.use_soft_pred = True has no predictor to soften; set "
                "S3GAN.use_predictor = True, or leave use_soft_pred False."
            )
        self.rotation = self_supervision == "rotation"
        self.rotated_batch_fraction = rotated_batch_fraction
        self.weight_rotation_loss_d = weight_rotation_loss_d
        self.weight_rotation_loss_g = weight_rotation_loss_g
        self.project_y, self.use_predictor = project_y, use_predictor
        self.use_soft_pred, self.use_soft_labels = use_soft_pred, use_soft_labels
        self.weight_class_loss = weight_class_loss
        self.num_classes = None

    def discriminator_classes(self, num_classes):
        return num_classes if self.project_y else None

    def build(self, discriminator, images, *, num_classes, **kwargs):
        if self.project_y and not num_classes:
            raise ConfigError(
                "S3GAN.project_y = True needs class labels: set Experiment.conditional = True "
                "with a dataset that has classes, or S3GAN.project_y = False."
            )
        self.num_classes = num_classes
        super().build(discriminator, images, num_classes=num_classes, **kwargs)

    def _rotated_count(self, global_batch_size, calls, split):
        fraction, batch = self.rotated_batch_fraction, self.batch_size
        valid = isinstance(fraction, int) and not isinstance(fraction, bool) and fraction > 0
        if not (valid and batch % (4 * fraction) == 0):
            factor = fraction if valid else "f, a positive integer f"
            raise ConfigError(
                f"S3GAN.rotated_batch_fraction = {fraction!r} (required with "
                "S3GAN.self_supervision = 'rotation'): the batch B of each of the "
                f"{split} ({batch}) must be a multiple of 4 x {factor}, as its B / f images in "
                "the rotation task are the 4 rotations of B / (4 f) of them. Bind e.g. "
                "S3GAN.rotated_batch_fraction = 1, or change the batch size."
            )
        return batch // fraction // NUM_ROTATIONS

    def _vectors(self, labels):
        """Float label vectors [B, K]: soft labels as they are, int labels one-hot (-1: 0)."""
        if labels.dtype.is_floating:
            return tf.cast(labels, tf.float32)
        return tf.one_hot(labels, self.num_classes)

    def logits(self, parts, features, labels, class_logits=None):
        """D's logits, projected on the labels, where missing on the predicted labels
        (compare_gan's `discriminator_with_additonal_heads`)."""
        if not self.project_y:
            return parts.head(features, None)
        labels = tf.convert_to_tensor(labels)
        if not (self.use_soft_pred or self.use_soft_labels):
            if class_logits is not None:
                predicted = tf.argmax(class_logits, axis=-1, output_type=labels.dtype)
                labels = tf.where(labels >= 0, labels, predicted)
            return parts.head(features, labels)
        vectors = self._vectors(labels)
        if class_logits is not None:
            available = tf.cast(tf.reduce_sum(vectors, 1, keepdims=True) > 0.5, tf.float32)
            class_logits = tf.cast(class_logits, tf.float32)
            if self.use_soft_pred:
                predicted = tf.nn.softmax(class_logits)
            else:
                predicted = tf.one_hot(tf.argmax(class_logits, axis=-1), self.num_classes)
            vectors = available * vectors + (1.0 - available) * predicted
        return parts.head(features, tf.stop_gradient(vectors))

    def class_terms(self, class_logits, labels):
        """(weighted classifier loss, {metric: value}) on the labelled reals.

        compare_gan: tf.losses.softmax_cross_entropy with weights = is_label_available, the
        mean over the labelled examples. Here the count is averaged over the replicas first,
        so R replicas give the mean over all labelled examples of the global batch, as one
        device does."""
        vectors = self._vectors(tf.convert_to_tensor(labels))
        available = tf.cast(tf.reduce_sum(vectors, axis=1) > 0.5, tf.float32)
        class_logits = tf.cast(class_logits, tf.float32)
        entropy = tf.nn.softmax_cross_entropy_with_logits(labels=vectors, logits=class_logits)
        hits = tf.cast(
            tf.equal(tf.argmax(class_logits, axis=-1), tf.argmax(vectors, axis=-1)), tf.float32
        )
        sums = tf.stack([tf.reduce_sum(available), tf.reduce_sum(available * hits)])
        count, correct = tf.unstack(tf.stop_gradient(_replica_mean(sums)))
        loss = tf.math.divide_no_nan(tf.reduce_sum(available * entropy), count)
        monitor = {
            "class_loss_real": loss,
            "label_fraction": tf.reduce_mean(available),
            "d_class_accuracy": tf.math.divide_no_nan(correct, count),
        }
        return self.weight_class_loss * loss, monitor
