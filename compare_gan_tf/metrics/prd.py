"""Precision and Recall for Distributions, PRD (Sajjadi et al. 2018), on feature arrays.

Follows the authors' reference code (msmsajjadi/precision-recall-distributions): the union of
both embeddings is clustered with k-means (20 clusters, MiniBatchKMeans with 10 initialisations)
and the cluster histograms give discrete distributions P (real) and Q (fake); the PRD curve is
evaluated at 1001 slopes and averaged over 10 clusterings. Unlike the reference, the k-means
seeds come from a `seed` argument, so a curve can be reproduced.
"""

import dataclasses

import numpy as np
from sklearn.cluster import MiniBatchKMeans

from compare_gan_tf.files import write_figure
from compare_gan_tf.metrics._common import check_features, check_positive_int, check_same_dim


@dataclasses.dataclass(frozen=True)
class PRDCurve:
    """A PRD curve: `precision[i]` and `recall[i]` at the i-th slope lambda, arrays in [0, 1]."""

    precision: np.ndarray
    recall: np.ndarray

    def max_f_beta_pair(self, beta=8.0):
        """(F_beta, F_1/beta) summary of the curve; see `prd_to_max_f_beta_pair`."""
        return prd_to_max_f_beta_pair(self.precision, self.recall, beta)


def compute_prd(real_distribution, fake_distribution, num_angles=1001, epsilon=1e-10):
    """PRD curve between two discrete distributions on the same finite set (histograms).

    Args:
      real_distribution: P, the reference distribution, non-negative and summing to 1.
      fake_distribution: Q, the evaluated (model) distribution, same length.
      num_angles: number of slopes lambda = tan(angle), angles equally spaced on
        [epsilon, pi/2 - epsilon].
      epsilon: keeps the slopes away from 0 and infinity; in (0, 0.1].

    Returns:
      PRDCurve with precision alpha(lambda) (how much of Q is covered by P) and recall
      beta(lambda) (how much of P is covered by Q), both clipped to [0, 1].
    """
    real = _check_distribution(real_distribution, "real_distribution")
    fake = _check_distribution(fake_distribution, "fake_distribution")
    if real.shape != fake.shape:
        raise ValueError(
            f"real_distribution has {real.shape[0]} bins but fake_distribution has "
            f"{fake.shape[0]}; histogram both over the same bins."
        )
    num_angles = check_positive_int(num_angles, "num_angles", minimum=3)
    if not 0.0 < epsilon <= 0.1:
        raise ValueError(f"epsilon must be in (0, 0.1], got {epsilon}.")
    slopes = np.tan(np.linspace(epsilon, np.pi / 2 - epsilon, num_angles))
    # Sajjadi et al. 2018, Theorem 2: alpha(lambda) = sum_w min(lambda P(w), Q(w)).
    precision = np.minimum(slopes[:, None] * real[None, :], fake[None, :]).sum(axis=1)
    # Sajjadi et al. 2018, Theorem 2: beta(lambda) = alpha(lambda) / lambda.
    recall = precision / slopes
    return PRDCurve(precision=np.clip(precision, 0.0, 1.0), recall=np.clip(recall, 0.0, 1.0))


def _check_distribution(distribution, name):
    distribution = np.asarray(distribution, dtype=np.float64)
    if distribution.ndim != 1 or distribution.shape[0] < 1:
        raise ValueError(
            f"{name} must be a non-empty 1-D histogram, got shape {distribution.shape}."
        )
    if (
        not np.isfinite(distribution).all()
        or (distribution < 0).any()
        or abs(distribution.sum() - 1.0) > 1e-6
    ):
        raise ValueError(
            f"{name} must be non-negative and sum to 1 (got sum {distribution.sum():.6g}); "
            "normalise the histogram."
        )
    return distribution


def _cluster_histograms(real_features, fake_features, num_clusters=20, random_state=None):
    """Clusters the union of both sets with k-means and returns the two label histograms.

    Args:
      real_features, fake_features: arrays [num_samples, dim].
      num_clusters: number of k-means clusters (bins).
      random_state: seed for MiniBatchKMeans (int or None).

    Returns:
      (real_distribution, fake_distribution): float64 arrays [num_clusters], each summing to 1.
    """
    data = np.concatenate([real_features, fake_features], axis=0)
    kmeans = MiniBatchKMeans(n_clusters=num_clusters, n_init=10, random_state=random_state)
    labels = kmeans.fit(data).labels_
    num_real = real_features.shape[0]
    real_counts = np.bincount(labels[:num_real], minlength=num_clusters)
    fake_counts = np.bincount(labels[num_real:], minlength=num_clusters)
    return real_counts / num_real, fake_counts / fake_features.shape[0]


def prd_from_embeddings(
    real_features,
    fake_features,
    num_clusters=20,
    num_angles=1001,
    num_runs=10,
    enforce_balance=True,
    seed=0,
):
    """PRD curve of fake (model) features against real (reference) features, averaged over runs.

    Args:
      real_features: reference embeddings [N, dim] (e.g. Inception pool_3 of real images).
      fake_features: evaluated embeddings [M, dim].
      num_clusters: k-means clusters per run (reference default 20).
      num_angles: slopes on the curve (reference default 1001).
      num_runs: independent clusterings whose curves are averaged (reference default 10).
      enforce_balance: require N == M, as the reference code does; an unbalanced pair skews the
        histograms of clusters that mix both sets.
      seed: seeds the k-means runs (None for fresh randomness).

    Returns:
      PRDCurve averaged over the runs.
    """
    real_features = check_features(real_features, "real_features", min_samples=2)
    fake_features = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real_features, fake_features, "real_features", "fake_features")
    num_clusters = check_positive_int(num_clusters, "num_clusters")
    num_runs = check_positive_int(num_runs, "num_runs")
    if enforce_balance and real_features.shape[0] != fake_features.shape[0]:
        raise ValueError(
            f"real_features has {real_features.shape[0]} samples and fake_features "
            f"{fake_features.shape[0]}; PRD expects equal sizes. Subsample the larger set or "
            "pass enforce_balance=False."
        )
    if num_clusters > real_features.shape[0] + fake_features.shape[0]:
        raise ValueError(
            f"num_clusters={num_clusters} exceeds the {real_features.shape[0]} + "
            f"{fake_features.shape[0]} samples; use fewer clusters or more samples."
        )
    rng = np.random.default_rng(seed)
    precisions, recalls = [], []
    for _ in range(num_runs):
        real_distribution, fake_distribution = _cluster_histograms(
            real_features, fake_features, num_clusters, int(rng.integers(2**31 - 1))
        )
        curve = compute_prd(real_distribution, fake_distribution, num_angles=num_angles)
        precisions.append(curve.precision)
        recalls.append(curve.recall)
    return PRDCurve(precision=np.mean(precisions, axis=0), recall=np.mean(recalls, axis=0))


def _f_beta(precision, recall, beta, epsilon=1e-10):
    # Sajjadi et al. 2018, F_beta score of a PRD point: (1 + b^2) p r / (b^2 p + r).
    return (1.0 + beta**2) * precision * recall / (beta**2 * precision + recall + epsilon)


def prd_to_max_f_beta_pair(precision, recall, beta=8.0):
    """Summarises a PRD curve by (max F_beta, max F_1/beta) over its points.

    With beta = 8, F_8 weights recall and F_1/8 weights precision: a model that drops modes has
    a low F_8, a model with poor samples has a low F_1/8. Identical distributions give (1, 1).

    Returns:
      (f_beta, f_beta_inv) as Python floats.
    """
    precision = np.asarray(precision, dtype=np.float64)
    recall = np.asarray(recall, dtype=np.float64)
    if precision.shape != recall.shape or precision.ndim != 1:
        raise ValueError(
            f"precision and recall must be 1-D arrays of equal length, got shapes "
            f"{precision.shape} and {recall.shape}."
        )
    if (precision < 0).any() or (precision > 1).any() or (recall < 0).any() or (recall > 1).any():
        raise ValueError("precision and recall must lie in [0, 1]; pass a PRDCurve's arrays.")
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta}.")
    f_beta = float(np.max(_f_beta(precision, recall, beta)))
    f_beta_inv = float(np.max(_f_beta(precision, recall, 1.0 / beta)))
    return f_beta, f_beta_inv


def plot_prd(curves, out_path, labels=None, legend_loc="lower left", dpi=300):
    """Plots one or more PRD curves (recall on x, precision on y) and writes an image file.

    Uses matplotlib's Agg canvas directly, so it needs no display and leaves pyplot's backend
    alone.

    Args:
      curves: a PRDCurve or a list of them.
      out_path: image path; the format follows its extension (.png, .pdf, ...). Missing parent
        directories are created.
      labels: one legend label per curve, or None for no legend.
      legend_loc: matplotlib legend location.
      dpi: resolution of raster formats.

    Returns:
      out_path.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if isinstance(curves, PRDCurve):
        curves = [curves]
    curves = list(curves)
    if not curves:
        raise ValueError("curves is empty; pass at least one PRDCurve.")
    if labels is not None and len(labels) != len(curves):
        raise ValueError(
            f"got {len(labels)} labels for {len(curves)} curves; pass one label per curve."
        )
    figure = Figure(figsize=(3.5, 3.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    for index, curve in enumerate(curves):
        label = None if labels is None else labels[index]
        axes.plot(curve.recall, curve.precision, label=label, alpha=0.5, linewidth=3)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("Recall")
    axes.set_ylabel("Precision")
    if labels is not None:
        axes.legend(loc=legend_loc)
    figure.tight_layout()
    write_figure(figure, out_path, dpi=dpi)
    return out_path
