"""The discriminator-overfitting monitor: D on training versus held-out real examples.

BigGAN (Brock et al. 2019, section 4.2) found D memorizing the training set before a collapse:
its accuracy on training images near 100% while held-out images score near chance. ADA
(Karras et al. 2020, section 3) watches the same thing through r_t = E[sign(D(x_real))] on the
training reals, which the training step reports as `r_t`. Here, at every scored checkpoint, D's
mean logit and accuracy (the fraction of real examples it calls real, logit > 0) on the first
`count` training and held-out examples join the eval row, and a gap above `warning_gap` logs a
warning.
"""

import gin
import numpy as np
from absl import logging

from compare_gan_tf.objectives.packing import pack

SPLITS = {"train": "train", "heldout": "eval"}


def _logits(gan, data, split, count, batch_size):
    """D's logits on up to `count` examples of `split`; under PacGAN packing, one per pack of
    m consecutive examples (the unconditional D judges packs, as in training)."""
    packing = gan.objective.packing
    logits, seen = [], 0
    for images, labels in data.make(split, batch_size, shuffle=False, repeat=False):
        conditioning = labels if gan.num_classes else None
        if packing > 1:
            whole_packs = len(images) - len(images) % packing
            images, conditioning = pack(images[:whole_packs], packing), None
        output = gan.discriminator(images, conditioning, training=False)
        logits.append(np.asarray(output, dtype=np.float64).ravel())
        seen += len(logits[-1]) * packing
        if seen >= count:
            break
    return np.concatenate(logits)[: max(1, count // packing)]


@gin.configurable
def discriminator_split_scores(gan, data, step, count=1000, batch_size=100, warning_gap=0.2):
    """{"d_train_logit", "d_heldout_logit", "d_train_accuracy", "d_heldout_accuracy"} of D as
    it is now; warns when the training accuracy exceeds the held-out one by `warning_gap`."""
    scores = {}
    for name, split in SPLITS.items():
        logits = _logits(gan, data, split, count, batch_size)
        scores[f"d_{name}_logit"] = float(np.mean(logits))
        scores[f"d_{name}_accuracy"] = float(np.mean(logits > 0))
    gap = scores["d_train_accuracy"] - scores["d_heldout_accuracy"]
    if gap > warning_gap:
        logging.warning(
            "Step %d: D calls %.0f%% of training reals real but %.0f%% of held-out reals: it is "
            "overfitting the training set (BigGAN section 4.2). Consider augmentation "
            '(GANObjective.augment = "diffaugment" or "ada") or a stronger regularizer.',
            step,
            100 * scores["d_train_accuracy"],
            100 * scores["d_heldout_accuracy"],
        )
    return scores
