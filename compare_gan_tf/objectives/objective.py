"""GANObjective: one gin-configurable composition of loss, penalty, normalization and regularizers.

Convention: d_fn(images, labels) -> logits [B, 1] and g_fn(z, labels) -> images are callables
that already close over `training=True`; labels may be None for unconditional models.

Per-replica contract: called inside `strategy.run`, every returned value is the replica's. Terms
over samples are means over the replica's batch; terms over weights (l2 penalty, orthogonal
regularization) are included in full on every replica. So the trainer divides each replica's loss
by `num_replicas_in_sync` before taking gradients and sums the gradients over replicas, which
gives the gradient of the global-batch objective with each weight term counted once.

Random parts (augmentations, penalty points, consistency transforms, MINE's shuffle) draw from
the global generator, or, given a `seed` (the trainer passes one per update, the same on every
replica), from stateless draws that XLA reproduces (`seeds`): the objective folds in the replica
id, so each replica draws its own, then hands every random part a seed of its own.
"""

import gin
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.objectives import consistency, penalties
from compare_gan_tf.objectives.ada import AdaptiveAugment
from compare_gan_tf.objectives.gradient_normalization import NORMALIZATIONS
from compare_gan_tf.objectives.lecam import LeCamRegularizer
from compare_gan_tf.objectives.mine import mine_estimator
from compare_gan_tf.objectives.mode_seeking import mode_seeking_term, pair_labels
from compare_gan_tf.objectives.objective_parts import (
    AUGMENTATIONS,
    CONSISTENCY,
    SELF_SUPERVISION,
    STEP_CONFIGURABLES,
    auxiliary_task,
    check_options,
    choose_loss,
    orthogonal_term,
    penalty_term,
    update_draws,
)
from compare_gan_tf.objectives.views import DiscriminatorViews

__all__ = ["AUGMENTATIONS", "CONSISTENCY", "SELF_SUPERVISION", "GANObjective"]


@gin.configurable
class GANObjective(DiscriminatorViews):
    """The D and G losses of a GAN, built from parts chosen by name.

    Args:
      loss: a name in `losses.LOSSES` ("non_saturating", "minimax", "wasserstein",
        "least_squares", "hinge") or a callable with their signature.
      penalty: "none", "wgan_gp", "dragan", "r1", "r2", "r1_r2" or "l2" (see `penalties`).
      penalty_weight: the penalty's weight (gamma for r1/r2, R1's for r1_r2), set here only;
        None takes the penalty function's default, the source's value (10 for wgan_gp, dragan,
        r1, r2, r1_r2; 1 for l2).
      gradient_normalization: "none", "gn" or "pgn"; the normalized D replaces D in every term.
      consistency: "none", "cr" (reals), "bcr" (reals and fakes), "zcr" (latent), or "icr"
        (bcr + zcr, Zhao et al. 2021). Weights and augmentations are the gin parameters of
        `consistency.cr`, `bcr`, `zcr_discriminator`, `zcr_generator`, `perturb_latent` and
        `consistency_augment`.
      orthogonal_reg_weight: beta of BigGAN's orthogonal regularization of G (BigGAN: 1e-4);
        0 turns it off.
      mine_weight: beta of the MINE term -beta * I(G(z); z) in the G loss; 0 turns it off.
        When on, `self.mine` holds the statistics network (gin: `mine_estimator`), trained with
        `mine_loss`; create the objective and build `self.mine` inside `strategy.scope()`.
      augment: "none", "diffaugment" (Zhao et al. 2020; policy: gin's `diff_augment.policy`)
        or "ada" (Karras et al. 2020; gin's `AdaptiveAugment.*`): every image D sees, real and
        fake, in the D and the G step and inside the penalties, is augmented first.
      lecam_weight: lambda of LeCam regularization (Tseng et al. 2021; their BigGAN CIFAR
        scripts use 0.3); 0 turns it off. Anchors: gin's `LeCamRegularizer.*`.
      penalty_interval: k of lazy regularization (Karras et al. 2020, StyleGAN2 appendix B):
        the penalty times k every k-th D step, nothing in between; 1 is every step.
      packing: m of PacGAN (Lin et al. 2018): D judges m samples concatenated along channels;
        1 is off. Needs an unconditional D and a per-replica batch divisible by m.
      mode_seeking_weight: lambda of mode seeking regularization (Mao et al. 2019, MSGAN; their
        conditional DCGAN uses 1); 0 turns it off. The G step pairs the two halves of its
        batch on the same labels, so it needs an even per-replica batch.
      least_squares_on: what loss="least_squares" reads: "logits" (Mao et al. 2017) or
        "sigmoid", D's sigmoid outputs as compare_gan's loss_lib.least_squares read them.
      dragan_noise: the points of penalty="dragan": "one_sided" (the authors' notebook) or
        "two_sided_clipped" (compare_gan's penalty_lib.dragan_penalty); see `penalties.dragan`.
      self_supervision: "none", "rotation_gan" or "rotation_only" (SSGAN, Chen et al. 2019;
        gin's `SelfSupervision.*`), or "s3gan" (Lucic et al. 2019; gin's `S3GAN.*`). The task
        (`self.auxiliary`) adds heads on D's features: build them with
        `self.auxiliary.build(...)` in the strategy's scope (the GAN does), train them with D,
        and pass `d_parts` (self_supervision.DiscriminatorParts) to both losses.
      r2_weight: R2's gamma with penalty="r1_r2" (R3GAN's "R1 + R2"); None is R1's.
      classifier: "none", or an auxiliary classifier on D's features: "ac" (AC-GAN) or "tac"
        (TAC-GAN); gin's `AuxiliaryClassifier.*` (objectives/auxiliary_classifier.py).

    Call `build(global_batch_size)` inside `strategy.scope()` before the first step (the GAN
    does): it creates the ADA and LeCam state.

    The methods return (loss, parts): `loss` is the sum of the values of the dict `parts`.
    """

    def __init__(
        self,
        loss="non_saturating",
        penalty="none",
        penalty_weight=None,
        gradient_normalization="none",
        consistency="none",
        orthogonal_reg_weight=0.0,
        mine_weight=0.0,
        augment="none",
        lecam_weight=0.0,
        penalty_interval=1,
        packing=1,
        mode_seeking_weight=0.0,
        least_squares_on="logits",
        dragan_noise="one_sided",
        self_supervision="none",
        r2_weight=None,
        classifier="none",
    ):
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.r2_weight = r2_weight
        self.consistency = consistency
        self.orthogonal_reg_weight = orthogonal_reg_weight
        self.mine_weight = mine_weight
        self.augment = augment
        self.lecam_weight = lecam_weight
        self.penalty_interval = penalty_interval
        self.packing = packing
        self.mode_seeking_weight = mode_seeking_weight
        self.least_squares_on = least_squares_on
        self.dragan_noise = dragan_noise
        self.self_supervision, self.classifier = self_supervision, classifier
        check_options(self, gradient_normalization)
        self.loss_fn = choose_loss(loss, least_squares_on)
        self.normalize = NORMALIZATIONS[gradient_normalization]
        self.mine = mine_estimator() if mine_weight else None
        self.ada = self.lecam = None
        self.auxiliary = auxiliary_task(self_supervision, classifier)

    def build(self, global_batch_size):
        """Creates the state of ADA and LeCam (call inside the strategy's scope)."""
        if self.augment == "ada" and self.ada is None:
            self.ada = AdaptiveAugment(global_batch_size)
            turns = self.ada.multipliers["rotate90"] or self.ada.multipliers["rotate"]
            if getattr(self.auxiliary, "rotation", False) and turns:
                raise ConfigError(
                    "ADA's rotations would make the rotation task of "
                    f"GANObjective.self_supervision = {self.self_supervision!r} ambiguous: bind "
                    "AdaptiveAugment.rotate90 = 0 (and AdaptiveAugment.rotate = 0 with "
                    'AdaptiveAugment.pipeline = "bgc").'
                )
        if self.lecam_weight and self.lecam is None:
            self.lecam = LeCamRegularizer(weight=self.lecam_weight)

    def discriminator_classes(self, num_classes):
        """The classes D projects on: None (an unconditional D) for S3GAN without project_y."""
        if self.auxiliary is None:
            return num_classes
        return self.auxiliary.discriminator_classes(num_classes)

    def step_configurables(self):
        """The gin configurables with settings that the D and G losses call in a training step:
        their bindings are read when the step is traced, after a run checks its bindings."""
        return STEP_CONFIGURABLES[self.consistency]

    def discriminator_loss(
        self,
        d_fn,
        g_fn,
        real_images,
        labels,
        z,
        d_variables=(),
        fake_labels=None,
        monitor=None,
        step=0,
        seed=None,
        d_parts=None,
    ):
        """D loss on real images and fakes G(z, fake_labels); fake_labels default to labels.

        Real and fake images go through D in one call, as in compare_gan; `d_variables` are only
        needed by the l2 penalty; `step` counts D steps (lazy penalties and ADA's p updates).
        `seed` (an int or [2] int tensor; None: the global generator) keys the update's random
        draws, statelessly (see the module's docstring).
        Parts: d_loss_real, d_loss_fake, then as configured penalty, cr, bcr_real, bcr_fake,
        zcr, lecam, and the self-supervision's (rotation_real, class_real). A `monitor` dict, if
        given, receives the mean logits "d_real" and "d_fake", ADA's r_t and the
        self-supervision's metrics (for summaries; they are not part of the loss). `d_parts`:
        D's features and head, needed with self_supervision.
        """
        draws = update_draws(seed)
        view_seed = draws.next_seed()
        penalty_seed, cr_seed, zcr_seed = (draws.next_seed() for _ in range(3))
        fake_labels = labels if fake_labels is None else fake_labels
        real_images = tf.cast(real_images, tf.float32)
        fake_images = tf.stop_gradient(tf.cast(g_fn(z, fake_labels), tf.float32))
        d_fn, real_logits, fake_logits, auxiliary_parts, auxiliary_monitor = (
            self.discriminator_logits(
                d_fn, d_parts, view_seed, real_images, fake_images, labels, fake_labels
            )
        )
        if monitor is not None:
            monitor.update(auxiliary_monitor)
            monitor["d_real"] = tf.reduce_mean(real_logits)
            monitor["d_fake"] = tf.reduce_mean(fake_logits)
            # ADA's overfitting heuristic r_t = E[sign(D(x_real))] (Karras et al. 2020, eq. 1).
            monitor["r_t"] = tf.reduce_mean(tf.sign(real_logits))
        result = self.loss_fn(real_logits, fake_logits)
        parts = {"d_loss_real": result.d_loss_real, "d_loss_fake": result.d_loss_fake}
        if self.penalty != "none":
            at = penalties.PenaltyInputs(
                d_fn,
                real_images,
                fake_images,
                labels,
                fake_labels,
                d_variables,
                penalty_seed,
                self.dragan_noise,
            )
            parts["penalty"] = penalties.lazy(
                lambda: penalty_term(self, at),
                step,
                self.penalty_interval,
            )
        if self.consistency == "cr":
            parts["cr"] = consistency.cr(
                d_fn, real_images, labels, real_logits=real_logits, seed=cr_seed
            )
        if self.consistency in ("bcr", "icr"):
            both = (real_images, fake_images, labels, fake_labels, real_logits, fake_logits)
            parts["bcr_real"], parts["bcr_fake"] = consistency.bcr(d_fn, *both, seed=cr_seed)
        if self.consistency in ("zcr", "icr"):
            parts["zcr"] = consistency.zcr_discriminator(
                d_fn, g_fn, z, fake_labels, fake_logits=fake_logits, seed=zcr_seed
            )
        if self.lecam is not None:
            parts["lecam"] = self.lecam(real_logits, fake_logits)
        if self.ada is not None:
            self.adapt_augmentation(real_logits, step, monitor)
        return self._total(parts, auxiliary_parts)

    def _total(self, parts, auxiliary_parts):
        """(loss, parts) with the self-supervision's parts; "rotation_only" multiplies the
        others by 0 (compare_gan's SSGAN: `d_loss *= 0.0`, `g_loss *= 0.0`)."""
        if self.auxiliary is not None and self.auxiliary.gan_weight != 1.0:
            parts = {name: self.auxiliary.gan_weight * value for name, value in parts.items()}
        parts.update(auxiliary_parts)
        return tf.add_n(list(parts.values())), parts

    def generator_loss(
        self, d_fn, g_fn, z, labels, g_variables=(), seed=None, d_parts=None, real=None
    ):
        """G loss on fakes G(z, labels); `g_variables` are only needed by orthogonal reg.

        Parts: g_loss_fake, then as configured zcr_generator, orthogonal, mine, mode_seeking,
        rotation_fake. With mode seeking on, the second half of `labels` is replaced by the
        first. `seed` (None: the global generator) keys the update's random draws,
        statelessly. `d_parts`: D's features and head, needed with self_supervision. `real`:
        a real batch (images, labels), needed by a relativistic loss (`needs_real_logits`).
        """
        if self.mode_seeking_weight:
            labels = pair_labels(labels)
        draws = update_draws(seed)
        view_seed, zcr_seed, mine_seed = (draws.next_seed() for _ in range(3))
        fake_images = g_fn(z, labels)
        fake_logits, real_logits, auxiliary_parts = self.generator_logits(
            d_fn, d_parts, view_seed, fake_images, labels, real
        )
        parts = {"g_loss_fake": self.loss_fn(real_logits, fake_logits).g_loss}
        if self.consistency in ("zcr", "icr"):
            parts["zcr_generator"] = consistency.zcr_generator(
                g_fn, z, labels, fake_images=fake_images, seed=zcr_seed
            )
        if self.orthogonal_reg_weight:
            parts["orthogonal"] = orthogonal_term(g_variables, self.orthogonal_reg_weight)
        if self.mine_weight:
            # Belghazi et al. 2018, "maximizing MI to improve GANs": G loss - beta * I(G(z); z).
            information = self.mine.mutual_information(fake_images, z, seed=mine_seed)
            parts["mine"] = -self.mine_weight * information
        if self.mode_seeking_weight:
            parts["mode_seeking"] = mode_seeking_term(fake_images, z, self.mode_seeking_weight)
        return self._total(parts, auxiliary_parts)

    def mine_loss(self, fake_images, z, seed=None):
        """Loss of the MINE statistics network (-I_hat); also updates its moving average.

        Minimize it over `self.mine.trainable_variables` with a separate optimizer. `seed`
        (None: the global generator) keys the shuffle of the marginal pairs, statelessly.
        """
        if self.mine is None:
            raise ValueError("mine_loss needs GANObjective(mine_weight=...) greater than 0.")
        seed = update_draws(seed).next_seed()
        information = self.mine.mutual_information(
            tf.stop_gradient(fake_images), z, update_average=True, seed=seed
        )
        return -information
