"""Auxiliary-classifier discriminators: AC-GAN (Odena et al. 2017) and TAC-GAN (Gong et al.
2019), class heads on D's features beside (or instead of) the projection of the labels.

`GANObjective.classifier` picks "ac" or "tac"; the settings are gin's `AuxiliaryClassifier.*`.
The heads are `LinearHead`s on D's final features, built by the GAN, trained with D's
optimizer and checkpointed, as SSGAN's rotation head is (self_supervision.AuxiliaryTask).
"""

import gin
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers.heads import LinearHead
from compare_gan_tf.objectives.self_supervision import AuxiliaryTask, check_weight

CLASSIFIERS = ("none", "ac", "tac")


def class_cross_entropy(logits, labels):
    """(mean softmax cross-entropy, accuracy) of class logits [B, K] against int labels [B]."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.cast(labels, tf.int32)
    entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, labels), tf.float32))
    return tf.reduce_mean(entropy), accuracy


@gin.configurable("AuxiliaryClassifier")
class AuxiliaryClassifier(AuxiliaryTask):
    """AC-GAN's class head, and TAC-GAN's twin head.

    "ac" (Odena et al. 2017): D adds weight_d (CE(C(x_r), y_r) + CE(C(x_f), y_f)),
    G adds weight_g CE(C(G(z, y)), y). "tac" (Gong et al. 2019): C learns the reals
    only and a twin classifier C_mi the fakes, D adds weight_d (CE(C(x_r), y_r) +
    CE(C_mi(x_f), y_f)); G adds weight_g (CE(C(G(z, y)), y) - CE(C_mi(G(z, y)), y)), which
    cancels AC-GAN's pull toward easily classified samples.

    Args:
      mode: "ac" or "tac" (GANObjective.classifier).
      weight_d, weight_g: the classification terms' weights in D's and G's losses (1.0, as
        StudioGAN's `cond_lambda`).
      project_y: D also projects the labels (Miyato & Koyama 2018); False (AC-GAN's D) makes
        D's adversarial head unconditional.
    """

    rotation = False

    def __init__(self, mode="ac", weight_d=1.0, weight_g=1.0, project_y=False):
        super().__init__()
        check_weight("AuxiliaryClassifier.weight_d", weight_d)
        check_weight("AuxiliaryClassifier.weight_g", weight_g)
        self.mode = mode
        self.weight_d, self.weight_g, self.project_y = weight_d, weight_g, project_y
        self.twin_head = None

    @property
    def heads(self):
        return [head for head in (self.class_head, self.twin_head) if head is not None]

    def discriminator_classes(self, num_classes):
        return num_classes if self.project_y else None

    def logits(self, parts, features, labels, class_logits=None):
        """D's adversarial logits: projected on the labels only with project_y."""
        return parts.head(features, labels if self.project_y else None)

    def build(self, discriminator, images, *, num_classes, **kwargs):
        if not num_classes:
            raise ConfigError(
                f'GANObjective.classifier = "{self.mode}" classifies the labels: set '
                "Experiment.conditional = True with a dataset that has classes."
            )
        options = getattr(discriminator, "weight_options", dict)()
        self.class_head = LinearHead(
            num_classes, "classifier", name="discriminator_class", **options
        )
        if self.mode == "tac":
            self.twin_head = LinearHead(
                num_classes, "twin_classifier", name="discriminator_twin_class", **options
            )
        # AuxiliaryTask.build checks the batch and builds every head on D's features.
        super().build(discriminator, images, num_classes=num_classes, **kwargs)

    def discriminator_terms(self, parts, features_view, real, fake, labels, fake_labels):
        (real_features, _), (fake_features, _) = self.features(features_view, [real, fake])
        real_loss, real_accuracy = class_cross_entropy(
            self.class_head(real_features, training=True), labels
        )
        # TAC-GAN's twin classifier learns the fakes; AC-GAN's one classifier learns both.
        fake_head = self.twin_head if self.mode == "tac" else self.class_head
        fake_loss, _ = class_cross_entropy(fake_head(fake_features, training=True), fake_labels)
        terms = {"class_real": self.weight_d * real_loss, "class_fake": self.weight_d * fake_loss}
        monitor = {"d_class_accuracy": real_accuracy}
        real_logits = self.logits(parts, real_features, labels)
        fake_logits = self.logits(parts, fake_features, fake_labels)
        return real_logits, fake_logits, terms, monitor

    def generator_terms(self, parts, features_view, fake, fake_labels):
        ((features, _),) = self.features(features_view, [fake])
        loss, _ = class_cross_entropy(self.class_head(features, training=True), fake_labels)
        if self.mode == "tac":
            twin_loss, _ = class_cross_entropy(self.twin_head(features, training=True), fake_labels)
            # Gong et al. 2019 (TAC-GAN): G minimizes CE(C) - CE(C_mi) on its samples.
            loss -= twin_loss
        return self.logits(parts, features, fake_labels), {"class_fake": self.weight_g * loss}
