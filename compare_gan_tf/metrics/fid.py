"""Frechet Inception Distance (FID) and intra-class FID on feature arrays.

Everything is computed in float64. The matrix square root is never formed: the trace term uses
the eigenvalues of a symmetric positive semi-definite matrix, which avoids the complex or
non-finite output that scipy.linalg.sqrtm can give on near-singular covariances (the reference
TTUR code retries with an added epsilon and discards imaginary parts instead).
"""

import dataclasses

import numpy as np

from compare_gan_tf.metrics._common import check_features, check_positive_int, check_same_dim


def feature_statistics(features, block_size=4096):
    """Mean and covariance of a feature array, for FID or for caching reference statistics.

    Args:
      features: array [num_samples, dim], num_samples >= 2 (e.g. Inception pool_3 activations).
      block_size: rows converted to float64 at a time, so memory stays near one dim x dim matrix.

    Returns:
      (mu, sigma): float64 arrays [dim] and [dim, dim]; sigma is the unbiased (N - 1)
      covariance, as `np.cov(features, rowvar=False)` in the reference code.
    """
    features = check_features(features, "features", min_samples=2)
    block_size = check_positive_int(block_size, "block_size")
    num_samples, dim = features.shape
    mu = features.mean(axis=0, dtype=np.float64)
    scatter = np.zeros((dim, dim), dtype=np.float64)
    for start in range(0, num_samples, block_size):
        centered = features[start : start + block_size].astype(np.float64) - mu
        scatter += centered.T @ centered
    sigma = scatter / (num_samples - 1)
    return mu, sigma


def _check_statistics(mu, sigma, name):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if mu.ndim != 1:
        raise ValueError(f"mu{name} must be a 1-D mean vector, got shape {mu.shape}.")
    if sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(
            f"sigma{name} must be a [{mu.shape[0]}, {mu.shape[0]}] covariance matching "
            f"mu{name}, got shape {sigma.shape}; compute both with feature_statistics."
        )
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError(f"mu{name} or sigma{name} contains NaN or infinite values.")
    scale = max(1.0, float(np.abs(sigma).max()))
    if np.abs(sigma - sigma.T).max() > 1e-6 * scale:
        raise ValueError(
            f"sigma{name} is not symmetric, so it is not a covariance matrix; "
            "compute it with feature_statistics or np.cov(features, rowvar=False)."
        )
    return mu, (sigma + sigma.T) / 2.0


def trace_sqrt_product(sigma1, sigma2):
    """Tr(sqrt(sigma1 @ sigma2)) for symmetric positive semi-definite matrices, in float64.

    With sigma1 = L L^T (Cholesky), sigma1 @ sigma2 = L (L^T sigma2 L) L^-1 is similar to the
    symmetric PSD matrix L^T sigma2 L, so the trace is the sum of the square roots of that
    matrix's eigenvalues. A singular sigma1 (fewer samples than dimensions, say) has no Cholesky
    factor; its symmetric square root from eigh then takes L's place, by the same similarity.
    Eigenvalues that rounding pushes slightly below zero are clipped to zero.
    """
    try:
        factor = np.linalg.cholesky(sigma1)  # n^3 / 3 flops, against eigh's ~9 n^3
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(sigma1)
        factor = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    inner = factor.T @ sigma2 @ factor
    inner = (inner + inner.T) / 2.0
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(inner), 0.0, None)).sum())


def fid_from_statistics(mu1, sigma1, mu2, sigma2):
    """FID between two Gaussians given by their means and covariances.

    Args:
      mu1, sigma1: mean [dim] and covariance [dim, dim] of one set (e.g. cached real statistics).
      mu2, sigma2: the same for the other set.

    Returns:
      The Frechet distance as a Python float (clipped at 0 against rounding).
    """
    mu1, sigma1 = _check_statistics(mu1, sigma1, "1")
    mu2, sigma2 = _check_statistics(mu2, sigma2, "2")
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"mu1 has dimension {mu1.shape[0]} but mu2 has {mu2.shape[0]}; compute both "
            "statistics from the same feature extractor and layer."
        )
    diff = mu1 - mu2
    # Heusel et al. 2017 (TTUR), FID: ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2)).
    distance = (
        diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    )
    return max(float(distance), 0.0)


def fid_from_features(real_features, fake_features):
    """FID between two feature arrays [num_samples, dim] (each with at least 2 samples).

    FID is biased by the sample count: compare scores computed with the same number of samples
    (50,000 is the usual choice for Inception pool_3 features).
    """
    real_features = check_features(real_features, "real_features", min_samples=2)
    fake_features = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real_features, fake_features, "real_features", "fake_features")
    return fid_from_statistics(
        *feature_statistics(real_features), *feature_statistics(fake_features)
    )


@dataclasses.dataclass(frozen=True)
class IntraClassFID:
    """Intra-class FID: `mean` over classes of the FID within each class (`per_class`)."""

    mean: float
    per_class: dict


def intra_class_fid(real_features, real_labels, fake_features, fake_labels):
    """FID computed separately for every class, then averaged (Miyato & Koyama 2018, intra-FID).

    Args:
      real_features, fake_features: arrays [num_samples, dim].
      real_labels, fake_labels: integer class labels [num_samples] for the rows of each array
        (for a conditional generator, the labels it was asked to generate).

    Returns:
      IntraClassFID(mean, per_class) where per_class maps each class label to its FID. Every
      label that occurs in either set must have at least 2 samples in both sets.
    """
    real_features = check_features(real_features, "real_features", min_samples=2)
    fake_features = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real_features, fake_features, "real_features", "fake_features")
    real_labels = _check_labels(real_labels, real_features, "real")
    fake_labels = _check_labels(fake_labels, fake_features, "fake")
    per_class = {}
    for label in np.union1d(real_labels, fake_labels):
        num_real = int(np.sum(real_labels == label))
        num_fake = int(np.sum(fake_labels == label))
        if min(num_real, num_fake) < 2:
            raise ValueError(
                f"class {label} has {num_real} real and {num_fake} fake samples, "
                "but intra-class FID needs at least 2 of each; sample more per class or drop "
                "the class from both sets."
            )
        per_class[label.item()] = fid_from_features(
            real_features[real_labels == label], fake_features[fake_labels == label]
        )
    # Miyato & Koyama 2018, intra-FID: the unweighted mean of the per-class FIDs.
    mean = float(np.mean(list(per_class.values())))
    return IntraClassFID(mean=mean, per_class=per_class)


def _check_labels(labels, features, kind):
    labels = np.asarray(labels)
    if labels.shape != (features.shape[0],):
        raise ValueError(
            f"{kind}_labels must have shape [{features.shape[0]}] (one label per row of "
            f"{kind}_features), got {labels.shape}."
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{kind}_labels must be integer class ids, got dtype {labels.dtype}.")
    return labels
