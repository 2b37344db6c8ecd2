"""What GANObjective (objective.py) is built from besides the terms: the checks of its options,
its choices, the gin configurables its step calls, its per-update draws, and the penalty and
orthogonal terms it picks by name."""

import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.layers.regularizers import orthogonality_penalty
from compare_gan_tf.objectives import consistency, penalties
from compare_gan_tf.objectives.auxiliary_classifier import CLASSIFIERS, AuxiliaryClassifier
from compare_gan_tf.objectives.gradient_normalization import NORMALIZATIONS
from compare_gan_tf.objectives.losses import LEAST_SQUARES_ON, get_loss, least_squares
from compare_gan_tf.objectives.s3gan import S3GAN
from compare_gan_tf.objectives.seeds import Draws, replica_seed
from compare_gan_tf.objectives.self_supervision import SelfSupervision

CONSISTENCY = ("none", "cr", "bcr", "zcr", "icr")
AUGMENTATIONS = ("none", "diffaugment", "ada")
SELF_SUPERVISION = ("none", "rotation_gan", "rotation_only", "s3gan")


# The gin configurables the losses call in each training step, by consistency choice (beyond
# those that building the objective and the GAN calls); tests/objectives checks them against
# the calls of a traced step.
_BCR = (consistency.bcr, consistency.consistency_augment)
_ZCR = (consistency.zcr_discriminator, consistency.zcr_generator, consistency.perturb_latent)
STEP_CONFIGURABLES = {
    "none": (),
    "cr": (consistency.cr, consistency.consistency_augment),
    "bcr": _BCR,
    "zcr": _ZCR,
    "icr": _BCR + _ZCR,
}


def check_options(objective, gradient_normalization):
    """Raises on an option of `objective` (a GANObjective whose constructor stored its
    arguments) that is not one of its choices or not in range."""
    check_choice("penalty", objective.penalty, penalties.PENALTIES, colon=True)
    check_choice("gradient_normalization", gradient_normalization, NORMALIZATIONS, colon=True)
    check_choice("consistency", objective.consistency, CONSISTENCY, colon=True)
    check_choice("augment", objective.augment, AUGMENTATIONS, colon=True)
    for name in ("penalty_interval", "packing"):
        value = getattr(objective, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"GANObjective.{name} must be a positive integer, got {value!r}.")
    check_choice(
        "GANObjective.least_squares_on",
        objective.least_squares_on,
        LEAST_SQUARES_ON,
        error=ConfigError,
        colon=True,
    )
    noise = objective.dragan_noise
    check_choice(
        "GANObjective.dragan_noise", noise, penalties.DRAGAN_NOISES, error=ConfigError, colon=True
    )
    if noise != "one_sided" and objective.penalty != "dragan":
        raise ConfigError(
            f"GANObjective.dragan_noise = {noise!r} applies to the DRAGAN penalty only, but "
            f'GANObjective.penalty is {objective.penalty!r}. Set GANObjective.penalty = "dragan", '
            'or leave dragan_noise at "one_sided".'
        )
    check_choice(
        "GANObjective.self_supervision",
        objective.self_supervision,
        SELF_SUPERVISION,
        error=ConfigError,
    )
    check_choice("GANObjective.classifier", objective.classifier, CLASSIFIERS, error=ConfigError)
    if objective.classifier != "none" and objective.self_supervision != "none":
        raise ConfigError(
            f"GANObjective.classifier = {objective.classifier!r} and self_supervision = "
            f"{objective.self_supervision!r} each add heads to D; choose one of them (S3GAN "
            "has its own class predictor: S3GAN.use_predictor)."
        )
    heads = [
        f"GANObjective.{name} = {value!r}"
        for name, value in (
            ("self_supervision", objective.self_supervision),
            ("classifier", objective.classifier),
        )
        if value != "none"
    ]
    if heads and (gradient_normalization != "none" or objective.packing > 1):
        raise ConfigError(
            f"{heads[0]} reads D's features of single images: it works with neither "
            "gradient_normalization nor packing; leave them at their defaults."
        )
    if objective.r2_weight is not None and objective.penalty != "r1_r2":
        raise ConfigError(
            f"GANObjective.r2_weight = {objective.r2_weight!r} is R2's gamma in the penalty "
            f'"r1_r2", but GANObjective.penalty is {objective.penalty!r}. Set '
            'GANObjective.penalty = "r1_r2", or leave r2_weight at None.'
        )
    weight = objective.mode_seeking_weight
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise ConfigError(
            f"GANObjective.mode_seeking_weight must be a number >= 0 (0 is off), got {weight!r}."
        )


def choose_loss(loss, least_squares_on):
    """The loss function of GANObjective(loss, least_squares_on)."""
    loss_fn = get_loss(loss)
    if least_squares_on == "logits":
        return loss_fn
    if loss_fn is not least_squares:
        raise ConfigError(
            f"GANObjective.least_squares_on = {least_squares_on!r} applies to the least-squares "
            f"loss only, but GANObjective.loss is {loss!r}. Set GANObjective.loss = "
            '"least_squares", or leave least_squares_on at "logits".'
        )
    return LEAST_SQUARES_ON[least_squares_on]


def auxiliary_task(self_supervision, classifier):
    """The task of GANObjective.self_supervision or .classifier (None for "none" and "none"),
    configured by gin."""
    if classifier != "none":
        return AuxiliaryClassifier(classifier)
    if self_supervision == "s3gan":
        return S3GAN()
    if self_supervision in ("rotation_gan", "rotation_only"):
        return SelfSupervision(self_supervision)
    return None


def concat_labels(labels, fake_labels):
    return None if labels is None else tf.concat([labels, fake_labels], axis=0)


def seed_keyword(seed):
    """{"seed": seed}, or nothing without a seed (gin's binding, if any, then applies)."""
    return {} if seed is None else {"seed": seed}


def update_draws(seed):
    """The draws of one update on this replica: `seed` (None: the global generator) with the
    replica id folded in. Each replica augments and perturbs its own examples, so their draws
    must differ; folding in the replica id (rather than drawing for the global batch and
    slicing, as the GAN does for the latents) keeps every function on the batch it is given,
    micro-batches included. The draws therefore depend on how the batch is split."""
    return Draws(None if seed is None else replica_seed(seed))


def penalty_term(objective, at):
    """The penalty `objective.penalty` names (not "none") at the D step's inputs `at` (a
    penalties.PenaltyInputs), weighted by `objective.penalty_weight` (None: the penalty
    function's default)."""
    weight = {} if objective.penalty_weight is None else {"weight": objective.penalty_weight}
    if objective.r2_weight is not None:
        weight["r2_weight"] = objective.r2_weight
    return penalties.PENALTIES[objective.penalty](at, **weight)


def orthogonal_term(g_variables, weight):
    """BigGAN's orthogonal regularization of G's kernels, with beta = `weight`."""
    # BigGAN section 3.1: kernels only; the shared class embedding and 1-D weights are left out.
    kernels = [v for v in g_variables if len(v.shape) >= 2 and v.name != "embeddings"]
    if not kernels:
        raise ValueError(
            "orthogonal_reg_weight > 0 needs the generator's kernels: pass g_variables="
            "generator.trainable_variables (after building it) to generator_loss."
        )
    return tf.add_n([orthogonality_penalty(k, weight) for k in kernels])
