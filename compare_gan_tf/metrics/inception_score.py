"""Inception Score from class probabilities or logits, with the reference code's 10 splits.

compare_gan scored all samples as one split (tf-gan's classifier_score_from_logits); here the
default is the 10 consecutive splits of the original code (openai/improved-gan), and the mean
and standard deviation over the splits are returned.
"""

import numpy as np
from scipy import special

from compare_gan_tf.metrics._common import MeanStd, check_features, check_positive_int


def inception_score(probabilities, splits=10):
    """Inception Score of class probabilities p(y|x) (softmax outputs, rows summing to 1).

    Args:
      probabilities: array [num_samples, num_classes] of softmax outputs. For pre-softmax
        scores use `inception_score_from_logits`.
      splits: the samples are cut into this many consecutive, nearly equal parts (no
        shuffling); the score is computed on each part.

    Returns:
      MeanStd(mean, std) over the splits (std with ddof=0, as in the reference code).
    """
    probabilities = check_features(probabilities, "probabilities", min_samples=1)
    probabilities = probabilities.astype(np.float64)
    row_sums = probabilities.sum(axis=1)
    if (probabilities < 0).any() or np.abs(row_sums - 1.0).max() > 1e-3:
        raise ValueError(
            "probabilities must be non-negative with rows summing to 1 (softmax outputs); got "
            f"row sums in [{row_sums.min():.4g}, {row_sums.max():.4g}]. For logits use "
            "inception_score_from_logits."
        )
    probabilities = probabilities / row_sums[:, None]
    with np.errstate(divide="ignore"):
        log_probabilities = np.log(probabilities)
    return _split_scores(probabilities, log_probabilities, splits)


def inception_score_from_logits(logits, splits=10):
    """Inception Score of classifier logits: the softmax is taken here, in float64.

    Args:
      logits: array [num_samples, num_classes] of pre-softmax scores.
      splits: number of consecutive splits, as in `inception_score`.

    Returns:
      MeanStd(mean, std) over the splits.
    """
    logits = check_features(logits, "logits", min_samples=1).astype(np.float64)
    log_probabilities = logits - special.logsumexp(logits, axis=1, keepdims=True)
    return _split_scores(np.exp(log_probabilities), log_probabilities, splits)


def _split_scores(probabilities, log_probabilities, splits):
    splits = check_positive_int(splits, "splits")
    num_samples = probabilities.shape[0]
    if splits > num_samples:
        raise ValueError(
            f"splits={splits} exceeds the {num_samples} samples; pass more samples or fewer splits."
        )
    scores = []
    for index in range(splits):
        part = slice(index * num_samples // splits, (index + 1) * num_samples // splits)
        p_conditional = probabilities[part]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_marginal = np.log(p_conditional.mean(axis=0))
            # Salimans et al. 2016, Sec. 4: KL(p(y|x) || p(y)), with 0 log 0 = 0.
            kl = np.where(
                p_conditional > 0, p_conditional * (log_probabilities[part] - log_marginal), 0.0
            ).sum(axis=1)
        # Salimans et al. 2016, Sec. 4: IS = exp(E_x KL(p(y|x) || p(y))).
        scores.append(np.exp(kl.mean()))
    return MeanStd(mean=float(np.mean(scores)), std=float(np.std(scores)))
