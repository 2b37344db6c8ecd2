"""Kernel Inception Distance (KID): unbiased MMD^2 with a cubic polynomial kernel.

The estimate is averaged over random subsets as in the reference code of Binkowski et al. 2018
(mbinkowski/MMD-GAN, polynomial_mmd_averages): each subset draws `subset_size` rows of each set
without replacement, and different subsets may overlap. compare_gan's block estimator is not
reproduced; as wired it took the fake block size from the real indices.
"""

import numpy as np

from compare_gan_tf.metrics._common import (
    MeanStd,
    check_features,
    check_positive_int,
    check_same_dim,
)


def polynomial_kernel(x, y):
    """Gram matrix k(x_i, y_j) = (x_i . y_j / d + 1)^3 for arrays [n, d] and [m, d], float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # Binkowski et al. 2018 (Demystifying MMD GANs), KID kernel: (x.y / d + 1)^3.
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """Unbiased MMD^2 between samples x [m, d] and y [n, d] (m, n >= 2) with polynomial_kernel.

    The within-set sums leave out the diagonal; the cross term keeps all m * n pairs, which is
    unbiased because x and y are independent (the reference code's "unbiased" estimator).
    """
    x = check_features(x, "x", min_samples=2)
    y = check_features(y, "y", min_samples=2)
    check_same_dim(x, y, "x", "y")
    m, n = x.shape[0], y.shape[0]
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    # Gretton et al. 2012 (A Kernel Two-Sample Test), Lemma 6: MMD^2_u.
    return float(
        (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
        + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
        - 2.0 * k_xy.sum() / (m * n)
    )


def kernel_inception_distance(
    real_features, fake_features, subset_size=1000, num_subsets=100, seed=0
):
    """KID between two feature arrays: unbiased MMD^2 averaged over random subsets.

    Args:
      real_features, fake_features: arrays [num_samples, dim] (at least 2 rows each).
      subset_size: rows drawn from each set per subset (reference default 1000); clipped to the
        smaller set, so small sets use all their rows in every subset.
      num_subsets: number of subsets (the reference command line's 100).
      seed: seed of the numpy Generator that draws the subsets; None draws a fresh one.

    Returns:
      MeanStd(mean, std) of the per-subset MMD^2 (std with ddof=0, as in the reference code).
      KID is often reported multiplied by 1000 or 100.
    """
    real_features = check_features(real_features, "real_features", min_samples=2)
    fake_features = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real_features, fake_features, "real_features", "fake_features")
    subset_size = check_positive_int(subset_size, "subset_size", minimum=2)
    num_subsets = check_positive_int(num_subsets, "num_subsets")
    size = min(subset_size, real_features.shape[0], fake_features.shape[0])
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for index in range(num_subsets):
        real = real_features[rng.choice(real_features.shape[0], size, replace=False)]
        fake = fake_features[rng.choice(fake_features.shape[0], size, replace=False)]
        values[index] = mmd2_unbiased(fake, real)
    return MeanStd(mean=float(values.mean()), std=float(values.std()))
