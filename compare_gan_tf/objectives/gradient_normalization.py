"""Gradient normalization of the discriminator: GN (Wu et al. 2021) and PGN (Xia 2023).

Both wrap a d_fn(images, labels) -> logits [B, 1] into a new one whose output is normalized by the
input gradient of the original. The gradient is taken inside the wrapped function with a nested
GradientTape, so the result is differentiable w.r.t. D's variables and, for fakes, w.r.t. G's
(double backprop, about twice D's cost). As in the papers, the wrapped D replaces D everywhere:
the D and G losses and the consistency terms. The input gradient is that of the summed logits,
which is per-sample only when D has no coupling between samples (no batch norm in D; GN-GAN
uses neither batch norm nor spectral norm in D).
"""

import gin
import tensorflow as tf

from compare_gan_tf.objectives.penalties import (
    logits_and_input_gradient,
    squared_norm_per_sample,
)

# Floor under a squared norm before its sqrt. The sources add no epsilon; this only replaces the
# infinite derivative of sqrt at an exactly zero norm by the zero subgradient PyTorch uses there.
_SQUARED_NORM_FLOOR = 1e-30


def _norm(vectors):
    """Per-sample L2 norm over all non-batch axes, shape [B, 1]."""
    squared = squared_norm_per_sample(vectors)
    return tf.sqrt(tf.maximum(squared, _SQUARED_NORM_FLOOR))[:, None]


@gin.configurable
def gradient_normalized(d_fn):
    """GN: the returned d_fn computes f / (||grad_x f|| + |f|) with f = d_fn(images, labels).

    For piecewise-linear f (ReLU networks) Wu et al. prove |f_hat| < 1 and ||grad_x f_hat|| <= 1.
    """

    def normalized_d_fn(images, labels=None):
        logits, gradient = logits_and_input_gradient(d_fn, images, labels)
        # Wu et al. 2021 (GN-GAN), definition of f_hat; no epsilon, as GNGAN-PyTorch gradnorm.py.
        return logits / (_norm(gradient) + tf.abs(logits))

    return normalized_d_fn


@gin.configurable
def penalty_gradient_normalized(d_fn):
    """PGN: the returned d_fn computes (1 - f) / (||1 - grad_x f|| + |1 - f|).

    Source: sumorday/EDGAN-PyTorch, models/gradnorm.py::penalty_normalize_gradient (the code of
    Xia 2023, "Penalty Gradient Normalization for GANs", arXiv 2306.13576, whose equation was not
    read). In ||1 - grad_x f|| the 1 is subtracted from every entry of the gradient before the
    norm over the flattened sample, so a zero gradient gives sqrt(d), not 0.

    |f_hat| < 1 always. For piecewise-linear f with local gradient g, grad_x f_hat =
    -g c / (c + |1 - f|)^2 with c = ||1 - g||, hence ||grad_x f_hat|| <= ||g|| / ||1 - g||. That is
    at most 1 while ||g|| <= sqrt(d) / 2, but PGN, unlike GN, gives no unconditional 1-Lipschitz
    bound.
    """

    def normalized_d_fn(images, labels=None):
        logits, gradient = logits_and_input_gradient(d_fn, images, labels)
        shifted = 1.0 - logits
        # Xia 2023, EDGAN-PyTorch penalty_normalize_gradient: (1 - f) / (||1 - grad f|| + |1 - f|).
        return shifted / (_norm(1.0 - gradient) + tf.abs(shifted))

    return normalized_d_fn


NORMALIZATIONS = {
    "none": lambda d_fn: d_fn,
    "gn": gradient_normalized,
    "pgn": penalty_gradient_normalized,
}
