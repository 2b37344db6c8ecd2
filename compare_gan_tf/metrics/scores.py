"""Every metric of one real/fake pair of feature sets, by name, as a flat dict of floats.

METRICS also names the image metrics (ms_ssim, swd), which need pixels rather than features:
the evaluator scores them with image_scores.score_images from the images it streams.
"""

import numpy as np

from compare_gan_tf.metrics.fid import fid_from_features, intra_class_fid
from compare_gan_tf.metrics.image_scores import IMAGE_METRICS
from compare_gan_tf.metrics.inception_score import inception_score_from_logits
from compare_gan_tf.metrics.kid import kernel_inception_distance
from compare_gan_tf.metrics.nearest_neighbours import nearest_neighbour_metrics
from compare_gan_tf.metrics.prd import prd_from_embeddings, prd_to_max_f_beta_pair

FEATURE_METRICS = (
    "fid",
    "inception_score",
    "kid",
    "precision_recall",
    "density_coverage",
    "prd",
    "intra_fid",
)
METRICS = FEATURE_METRICS + IMAGE_METRICS
DEFAULT_METRICS = METRICS[:6]


def check_metrics(metrics):
    """Returns `metrics` as a tuple, raising ValueError on an unknown name."""
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; choose from {', '.join(METRICS)}.")
    return tuple(metrics)


def score_features(
    real_features,
    fake_features,
    metrics=DEFAULT_METRICS,
    fake_logits=None,
    real_labels=None,
    fake_labels=None,
    inception_score_splits=10,
    seed=0,
):
    """Scores fake features against real ones; returns {score name: float}.

    Keys: fid; inception_score (and _std, from `fake_logits`); kid (and _std); precision and
    recall (k=3); density and coverage (k=5); prd_f8 (recall-like) and prd_f1_8
    (precision-like); intra_fid (needs both label arrays). Metrics whose inputs are missing
    (no logits, no labels) are left out rather than guessed, and so are the image metrics.
    """
    metrics = check_metrics(metrics)
    scores = {}
    if "fid" in metrics:
        scores["fid"] = fid_from_features(real_features, fake_features)
    if "inception_score" in metrics and fake_logits is not None:
        score = inception_score_from_logits(fake_logits, splits=inception_score_splits)
        scores["inception_score"], scores["inception_score_std"] = score
    if "kid" in metrics:
        scores["kid"], scores["kid_std"] = kernel_inception_distance(
            real_features, fake_features, seed=seed
        )
    if "precision_recall" in metrics or "density_coverage" in metrics:
        neighbours = nearest_neighbour_metrics(real_features, fake_features)
        if "precision_recall" in metrics:
            scores["precision"], scores["recall"] = neighbours.precision, neighbours.recall
        if "density_coverage" in metrics:
            scores["density"], scores["coverage"] = neighbours.density, neighbours.coverage
    if "prd" in metrics:
        # Sajjadi et al. 2018 compare equal-sized sets: use the first min(N, M) of each.
        size = min(len(real_features), len(fake_features))
        curve = prd_from_embeddings(real_features[:size], fake_features[:size], seed=seed)
        scores["prd_f8"], scores["prd_f1_8"] = prd_to_max_f_beta_pair(curve.precision, curve.recall)
    if "intra_fid" in metrics and real_labels is not None and fake_labels is not None:
        scores["intra_fid"] = intra_class_fid(
            real_features, real_labels, fake_features, fake_labels
        ).mean
    return {name: float(value) for name, value in scores.items()}


def average_draws(draws):
    """Mean of each score over draws, plus `<name>_draws_std` (ddof 0) when there are several."""
    averaged = {}
    for name in draws[0]:
        values = np.array([draw[name] for draw in draws], dtype=np.float64)
        averaged[name] = float(values.mean())
        if len(draws) > 1:
            averaged[f"{name}_draws_std"] = float(values.std())
    return averaged
