"""Everything that turns discriminator outputs into losses: losses, penalties, GN/PGN, CR, MINE.

A discriminator here is any callable d_fn(images, labels) -> logits [B, 1]; nothing in this
package imports an architecture.
"""

from compare_gan_tf.objectives.consistency import (
    bcr,
    consistency_augment,
    cr,
    flip,
    perturb_latent,
    random_flip,
    random_translation,
    translate,
    zcr_discriminator,
    zcr_generator,
)
from compare_gan_tf.objectives.gradient_normalization import (
    gradient_normalized,
    penalty_gradient_normalized,
)
from compare_gan_tf.objectives.losses import (
    LOSSES,
    LossResult,
    get_loss,
    hinge,
    least_squares,
    least_squares_on_sigmoid,
    minimax,
    non_saturating,
    wasserstein,
)
from compare_gan_tf.objectives.mine import (
    MutualInformationEstimator,
    donsker_varadhan,
    mine_estimator,
)
from compare_gan_tf.objectives.objective import GANObjective
from compare_gan_tf.objectives.penalties import PENALTIES, dragan, l2, r1, r2, wgan_gp

__all__ = [
    "GANObjective",
    "LOSSES",
    "LossResult",
    "MutualInformationEstimator",
    "PENALTIES",
    "bcr",
    "consistency_augment",
    "cr",
    "donsker_varadhan",
    "dragan",
    "flip",
    "get_loss",
    "gradient_normalized",
    "hinge",
    "l2",
    "least_squares",
    "least_squares_on_sigmoid",
    "minimax",
    "mine_estimator",
    "non_saturating",
    "penalty_gradient_normalized",
    "perturb_latent",
    "r1",
    "r2",
    "random_flip",
    "random_translation",
    "translate",
    "wasserstein",
    "wgan_gp",
    "zcr_discriminator",
    "zcr_generator",
]

from compare_gan_tf.objectives.augmentation import (  # noqa: E402
    AdaptiveAugment,
    diff_augment,
)
from compare_gan_tf.objectives.lecam import LeCamRegularizer  # noqa: E402
from compare_gan_tf.objectives.packing import pack, pack_labels  # noqa: E402
from compare_gan_tf.objectives.penalties import lazy, lazy_r1  # noqa: E402

__all__ += [
    "AdaptiveAugment",
    "LeCamRegularizer",
    "diff_augment",
    "lazy",
    "lazy_r1",
    "pack",
    "pack_labels",
]
