"""GAN losses: D's real and fake logits in, the D and G losses out (compare_gan's `loss_lib`).

Every loss returns a `LossResult`. Per-sample terms are averaged over the batch the function is
given (under `strategy.run`, the replica's batch). The G loss of most losses depends only on the
fake logits, so the generator step may pass `real_logits=None`; the three D fields are then None.
The relativistic losses (Jolicoeur-Martineau 2019) compare real and fake logits in both steps:
they carry `needs_real_logits = True`, and the G step passes D's logits of a real batch.
"""

from typing import NamedTuple

import gin
import tensorflow as tf

from compare_gan_tf.checks import check_choice


class LossResult(NamedTuple):
    """The four numbers compare_gan's losses return; d_loss = d_loss_real + d_loss_fake."""

    d_loss: tf.Tensor | None
    d_loss_real: tf.Tensor | None
    d_loss_fake: tf.Tensor
    g_loss: tf.Tensor


def check_logits(logits, name):
    """Casts `logits` to float32 after checking the [batch, 1] shape every loss expects."""
    if logits is None:
        return None
    logits = tf.convert_to_tensor(logits)
    if logits.shape.rank != 2 or logits.shape[-1] != 1:
        raise ValueError(
            f"{name} must have shape [batch, 1], got {logits.shape}. "
            "End the discriminator with a single-unit Dense layer (one logit per image)."
        )
    return tf.cast(logits, tf.float32)


def _mean(term, logits):
    """Batch mean of `term(logits)`, or None when the logits are absent."""
    return None if logits is None else tf.reduce_mean(term(logits))


def _result(d_loss_real, d_loss_fake, g_loss):
    d_loss = None if d_loss_real is None else d_loss_real + d_loss_fake
    return LossResult(d_loss, d_loss_real, d_loss_fake, g_loss)


def _cross_entropy(real_logits, fake_logits, g_term):
    """D's cross-entropy of non_saturating and minimax, with G's per-logit term `g_term`."""
    real = check_logits(real_logits, "real_logits")
    fake = check_logits(fake_logits, "fake_logits")
    return _result(
        # Goodfellow et al. 2014, eq. 1: -log sigmoid(l_r) - log(1 - sigmoid(l_f)).
        d_loss_real=_mean(lambda x: tf.nn.softplus(-x), real),
        d_loss_fake=_mean(tf.nn.softplus, fake),
        g_loss=_mean(g_term, fake),
    )


@gin.configurable
def non_saturating(real_logits, fake_logits):
    """Non-saturating loss, the default (Goodfellow et al. 2014, section 3)."""
    # Goodfellow et al. 2014, section 3: G maximizes log D(G(z)), i.e. minimizes softplus(-l_f).
    return _cross_entropy(real_logits, fake_logits, lambda x: tf.nn.softplus(-x))


@gin.configurable
def minimax(real_logits, fake_logits):
    """Saturating minimax loss: G minimizes log(1 - D(G(z))) directly (not in compare_gan v3)."""
    # Goodfellow et al. 2014, eq. 1: log(1 - sigmoid(l_f)) = -softplus(l_f).
    return _cross_entropy(real_logits, fake_logits, lambda x: -tf.nn.softplus(x))


@gin.configurable
def wasserstein(real_logits, fake_logits):
    """Wasserstein loss (Arjovsky et al. 2017); needs a Lipschitz constraint (GP, SN, GN)."""
    real = check_logits(real_logits, "real_logits")
    fake = check_logits(fake_logits, "fake_logits")
    return _result(
        # Arjovsky et al. 2017, Algorithm 1: the critic maximizes E[l_r] - E[l_f].
        d_loss_real=_mean(lambda x: -x, real),
        d_loss_fake=_mean(lambda x: x, fake),
        # Arjovsky et al. 2017, Algorithm 1: G minimizes -E[l_f].
        g_loss=_mean(lambda x: -x, fake),
    )


@gin.configurable
def least_squares(real_logits, fake_logits):
    """Least-squares loss on the raw logits, with targets a=0, b=c=1 (Mao et al. 2017).

    compare_gan applied it to sigmoid(logits); this follows the paper and uses the logits
    (compare_gan's form: `least_squares_on_sigmoid`, GANObjective.least_squares_on = "sigmoid").
    """
    real = check_logits(real_logits, "real_logits")
    fake = check_logits(fake_logits, "fake_logits")
    return _result(
        # Mao et al. 2017, eq. 2 with b=1, a=0: 1/2 E[(l_r - 1)^2] + 1/2 E[l_f^2].
        d_loss_real=_mean(lambda x: 0.5 * tf.square(x - 1.0), real),
        d_loss_fake=_mean(lambda x: 0.5 * tf.square(x), fake),
        # Mao et al. 2017, eq. 2 with c=1: 1/2 E[(l_f - 1)^2].
        g_loss=_mean(lambda x: 0.5 * tf.square(x - 1.0), fake),
    )


def least_squares_on_sigmoid(real_logits, fake_logits):
    """compare_gan's least-squares loss: targets a=0, b=c=1 on D's sigmoid outputs, not logits.

    GANObjective(least_squares_on="sigmoid") picks it. compare_gan's `least_squares` read D's
    predictions sigmoid(l), and its d_loss_real and d_loss_fake were the means without the 0.5
    (d_loss = 0.5 (real + fake)); here each part carries its 0.5, so they add up to d_loss.
    """
    real = check_logits(real_logits, "real_logits")
    fake = check_logits(fake_logits, "fake_logits")
    return _result(
        # compare_gan loss_lib.least_squares: 0.5 (E[(sigmoid(l_r) - 1)^2] + E[sigmoid(l_f)^2]).
        d_loss_real=_mean(lambda x: 0.5 * tf.square(tf.sigmoid(x) - 1.0), real),
        d_loss_fake=_mean(lambda x: 0.5 * tf.square(tf.sigmoid(x)), fake),
        # compare_gan loss_lib.least_squares: g_loss = 0.5 E[(sigmoid(l_f) - 1)^2].
        g_loss=_mean(lambda x: 0.5 * tf.square(tf.sigmoid(x) - 1.0), fake),
    )


@gin.configurable
def hinge(real_logits, fake_logits):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, section 4), BigGAN's and GN-GAN's choice."""
    real = check_logits(real_logits, "real_logits")
    fake = check_logits(fake_logits, "fake_logits")
    return _result(
        # Lim & Ye 2017 / Miyato et al. 2018, section 4: E[relu(1 - l_r)] + E[relu(1 + l_f)].
        d_loss_real=_mean(lambda x: tf.nn.relu(1.0 - x), real),
        d_loss_fake=_mean(lambda x: tf.nn.relu(1.0 + x), fake),
        # Lim & Ye 2017 / Miyato et al. 2018, section 4: G minimizes -E[l_f].
        g_loss=_mean(lambda x: -x, fake),
    )


def _reads_real_logits(loss):
    """Marks `loss` as one whose G loss needs the real logits (GANObjective reads the mark)."""
    loss.needs_real_logits = True
    return loss


def _both_sides(real_logits, fake_logits, loss):
    """Both [B, 1] logits as float32; a relativistic G loss needs the real ones too."""
    if real_logits is None:
        raise ValueError(
            f"{loss} compares real and fake logits, in the G step too: pass real_logits (D's "
            "logits of a real batch) to the loss."
        )
    return check_logits(real_logits, "real_logits"), check_logits(fake_logits, "fake_logits")


@_reads_real_logits
@gin.configurable
def relativistic_pairing(real_logits, fake_logits):
    """RpGAN (Jolicoeur-Martineau 2019; R3GAN, Huang et al. 2024), f = softplus, each
    real logit paired with the fake logit of the same index. The pair term has no real and fake
    halves: it is d_loss_real, and d_loss_fake is 0."""
    real, fake = _both_sides(real_logits, fake_logits, "relativistic_pairing")
    if real.shape[0] is not None and fake.shape[0] is not None and real.shape[0] != fake.shape[0]:
        raise ValueError(
            "relativistic_pairing pairs real and fake images index by index, so the batches "
            f"must be equal; got {real.shape[0]} real and {fake.shape[0]} fake logits."
        )
    # Huang et al. 2024 (R3GAN): L_D = E f(-(D(x_r) - D(x_f))), L_G = E f(-(D(x_f) - D(x_r))).
    d_loss = tf.reduce_mean(tf.nn.softplus(-(real - fake)))
    g_loss = tf.reduce_mean(tf.nn.softplus(-(fake - real)))
    return LossResult(d_loss, d_loss, tf.zeros([], tf.float32), g_loss)


def _relativistic_average(real_logits, fake_logits, loss, penalty):
    """RaGAN with `penalty(m)`, the cost of a margin m that D (for the reals) wants large."""
    real, fake = _both_sides(real_logits, fake_logits, loss)
    # Jolicoeur-Martineau 2019 (relativistic average): each logit against the other side's mean.
    real_margin = real - tf.reduce_mean(fake)
    fake_margin = fake - tf.reduce_mean(real)
    d_loss_real = tf.reduce_mean(penalty(real_margin))
    d_loss_fake = tf.reduce_mean(penalty(-fake_margin))
    # The mirror for G: the fakes should look more real than the reals.
    g_loss = tf.reduce_mean(penalty(fake_margin)) + tf.reduce_mean(penalty(-real_margin))
    return LossResult(d_loss_real + d_loss_fake, d_loss_real, d_loss_fake, g_loss)


@_reads_real_logits
@gin.configurable
def relativistic_average(real_logits, fake_logits):
    """RaGAN, non-saturating (Jolicoeur-Martineau 2019, RaSGAN), f = softplus:
    L_D = E_r f(-(D_r - E D_f)) + E_f f(D_f - E D_r); L_G swaps real and fake."""
    return _relativistic_average(
        real_logits, fake_logits, "relativistic_average", lambda m: tf.nn.softplus(-m)
    )


@_reads_real_logits
@gin.configurable
def relativistic_average_hinge(real_logits, fake_logits):
    """RaHinge (Jolicoeur-Martineau 2019, RaHingeGAN):
    L_D = E_r relu(1 - (D_r - E D_f)) + E_f relu(1 + (D_f - E D_r)); L_G swaps real and fake."""
    return _relativistic_average(
        real_logits, fake_logits, "relativistic_average_hinge", lambda m: tf.nn.relu(1.0 - m)
    )


LOSSES = {
    "non_saturating": non_saturating,
    "minimax": minimax,
    "wasserstein": wasserstein,
    "least_squares": least_squares,
    "hinge": hinge,
    "relativistic_pairing": relativistic_pairing,
    "relativistic_average": relativistic_average,
    "relativistic_average_hinge": relativistic_average_hinge,
}


def needs_real_logits(loss_fn):
    """Whether the G loss of `loss_fn` reads D's logits of real images."""
    return getattr(loss_fn, "needs_real_logits", False)


# GANObjective.least_squares_on: what the least-squares loss reads.
LEAST_SQUARES_ON = {"logits": least_squares, "sigmoid": least_squares_on_sigmoid}


def get_loss(name):
    """The loss function called `name` (a key of LOSSES); a callable is returned unchanged."""
    if callable(name):
        return name
    return LOSSES[check_choice("GAN loss", name, LOSSES, colon=True)]
