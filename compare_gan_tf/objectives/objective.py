"""GANObjective: one gin-configurable composition of loss, penalty, normalization and regularizers.

Convention: d_fn(images, labels) -> logits [B, 1] and g_fn(z, labels) -> images are callables
that already close over `training=True`; labels may be None for unconditional models.

Per-replica contract: called inside `strategy.run`, every returned value is the replica's. Terms
over samples are means over the replica's batch; terms over weights (l2 penalty, orthogonal
regularization) are included in full on every replica. So the trainer divides each replica's loss
by `num_replicas_in_sync` before taking gradients and sums the gradients over replicas, which
gives the gradient of the global-batch objective with each weight term counted once.
"""

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.layers.regularizers import orthogonality_penalty
from compare_gan_tf.objectives import consistency, penalties
from compare_gan_tf.objectives.gradient_normalization import NORMALIZATIONS
from compare_gan_tf.objectives.losses import get_loss
from compare_gan_tf.objectives.mine import mine_estimator

CONSISTENCY = ("none", "cr", "bcr", "zcr", "icr")


def _concat_labels(labels, fake_labels):
    return None if labels is None else tf.concat([labels, fake_labels], axis=0)


@gin.configurable
class GANObjective:
    """The D and G losses of a GAN, built from parts chosen by name.

    Args:
      loss: a name in `losses.LOSSES` ("non_saturating", "minimax", "wasserstein",
        "least_squares", "hinge") or a callable with their signature.
      penalty: "none", "wgan_gp", "dragan", "r1", "r2" or "l2" (see `penalties`).
      penalty_weight: the penalty's weight (gamma for r1/r2), set here only; None takes the
        penalty function's default, the source's value (10 for wgan_gp, dragan, r1, r2; 1 for
        l2).
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
    ):
        check_choice("penalty", penalty, penalties.PENALTIES, colon=True)
        check_choice("gradient_normalization", gradient_normalization, NORMALIZATIONS, colon=True)
        check_choice("consistency", consistency, CONSISTENCY, colon=True)
        self.loss_fn = get_loss(loss)
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.normalize = NORMALIZATIONS[gradient_normalization]
        self.consistency = consistency
        self.orthogonal_reg_weight = orthogonal_reg_weight
        self.mine_weight = mine_weight
        self.mine = mine_estimator() if mine_weight else None

    def discriminator_loss(
        self, d_fn, g_fn, real_images, labels, z, d_variables=(), fake_labels=None, monitor=None
    ):
        """D loss on real images and fakes G(z, fake_labels); fake_labels default to labels.

        Real and fake images go through D in one call, as in compare_gan; `d_variables` are only
        needed by the l2 penalty. Parts: d_loss_real, d_loss_fake, then as configured penalty,
        cr, bcr_real, bcr_fake, zcr. A `monitor` dict, if given, receives the mean logits
        "d_real" and "d_fake" (for summaries; they are not part of the loss).
        """
        d_fn = self.normalize(d_fn)
        fake_labels = labels if fake_labels is None else fake_labels
        real_images = tf.cast(real_images, tf.float32)
        fake_images = tf.stop_gradient(tf.cast(g_fn(z, fake_labels), tf.float32))
        logits = d_fn(
            tf.concat([real_images, fake_images], axis=0), _concat_labels(labels, fake_labels)
        )
        real_logits, fake_logits = tf.split(
            logits, [tf.shape(real_images)[0], tf.shape(fake_images)[0]]
        )
        if monitor is not None:
            monitor["d_real"] = tf.reduce_mean(real_logits)
            monitor["d_fake"] = tf.reduce_mean(fake_logits)
        result = self.loss_fn(real_logits, fake_logits)
        parts = {"d_loss_real": result.d_loss_real, "d_loss_fake": result.d_loss_fake}
        if self.penalty != "none":
            parts["penalty"] = self._penalty(
                d_fn, real_images, fake_images, labels, fake_labels, d_variables
            )
        if self.consistency == "cr":
            parts["cr"] = consistency.cr(d_fn, real_images, labels, real_logits=real_logits)
        if self.consistency in ("bcr", "icr"):
            parts["bcr_real"], parts["bcr_fake"] = consistency.bcr(
                d_fn, real_images, fake_images, labels, fake_labels, real_logits, fake_logits
            )
        if self.consistency in ("zcr", "icr"):
            parts["zcr"] = consistency.zcr_discriminator(
                d_fn, g_fn, z, fake_labels, fake_logits=fake_logits
            )
        return tf.add_n(list(parts.values())), parts

    def generator_loss(self, d_fn, g_fn, z, labels, g_variables=()):
        """G loss on fakes G(z, labels); `g_variables` are only needed by orthogonal reg.

        Parts: g_loss_fake, then as configured zcr_generator, orthogonal, mine.
        """
        fake_images = g_fn(z, labels)
        fake_logits = self.normalize(d_fn)(fake_images, labels)
        parts = {"g_loss_fake": self.loss_fn(None, fake_logits).g_loss}
        if self.consistency in ("zcr", "icr"):
            parts["zcr_generator"] = consistency.zcr_generator(
                g_fn, z, labels, fake_images=fake_images
            )
        if self.orthogonal_reg_weight:
            parts["orthogonal"] = self._orthogonal(g_variables)
        if self.mine_weight:
            # Belghazi et al. 2018, "maximizing MI to improve GANs": G loss - beta * I(G(z); z).
            parts["mine"] = -self.mine_weight * self.mine.mutual_information(fake_images, z)
        return tf.add_n(list(parts.values())), parts

    def mine_loss(self, fake_images, z):
        """Loss of the MINE statistics network (-I_hat); also updates its moving average.

        Minimize it over `self.mine.trainable_variables` with a separate optimizer.
        """
        if self.mine is None:
            raise ValueError("mine_loss needs GANObjective(mine_weight=...) greater than 0.")
        return -self.mine.mutual_information(tf.stop_gradient(fake_images), z, update_average=True)

    def _penalty(self, d_fn, real_images, fake_images, labels, fake_labels, d_variables):
        weight = {} if self.penalty_weight is None else {"weight": self.penalty_weight}
        if self.penalty == "wgan_gp":
            return penalties.wgan_gp(d_fn, real_images, fake_images, labels, **weight)
        if self.penalty == "dragan":
            return penalties.dragan(d_fn, real_images, labels, **weight)
        if self.penalty == "r1":
            return penalties.r1(d_fn, real_images, labels, **weight)
        if self.penalty == "r2":
            return penalties.r2(d_fn, fake_images, fake_labels, **weight)
        return penalties.l2(d_variables, **weight)

    def _orthogonal(self, g_variables):
        # BigGAN section 3.1: kernels only; the shared class embedding and 1-D weights are left out.
        kernels = [v for v in g_variables if len(v.shape) >= 2 and v.name != "embeddings"]
        if not kernels:
            raise ValueError(
                "orthogonal_reg_weight > 0 needs the generator's kernels: pass g_variables="
                "generator.trainable_variables (after building it) to generator_loss."
            )
        return tf.add_n([orthogonality_penalty(k, self.orthogonal_reg_weight) for k in kernels])
