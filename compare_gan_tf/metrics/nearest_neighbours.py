"""k-nearest-neighbour metrics: improved precision/recall and density/coverage.

Improved precision and recall follow Kynkaenniemi et al. 2019 (k = 3; reference code
kynkaat/improved-precision-and-recall-metric); density and coverage follow Naeem et al. 2020
(k = 5; reference code clovaai/generative-evaluation-prdc). The k-NN radius of a sample is the
distance to its k-th nearest neighbour in its own set, the sample itself excluded.

Pairwise distances are computed in row blocks against a whole set, so memory grows like
block_size x N, never N x N. Squared Euclidean distances are compared throughout, which gives
the same decisions as comparing distances. The arithmetic runs in float64 whatever the input
dtype, and every distance compared with a reference sample's radius comes out of the same
computation as the radius itself: the reference sample is the column operand (the whole set,
the same array) and the other sample a row of a block, in the radius pass and in the
fake-versus-real pass alike. A fake sample that duplicates a real sample's k-th neighbour then
lies exactly on that real sample's radius, as in the reference code (which computes both
from one pairwise-distance function), so density(x, x) is exactly 1.
"""

import dataclasses

import numpy as np

from compare_gan_tf.metrics._common import check_features, check_positive_int, check_same_dim

# Default number of entries of one block of the distance matrix (128 MB in float64).
_BLOCK_ENTRIES = 2**24


@dataclasses.dataclass(frozen=True)
class PrecisionRecall:
    """Improved precision (fake samples inside the real manifold) and recall (the reverse)."""

    precision: float
    recall: float


@dataclasses.dataclass(frozen=True)
class DensityCoverage:
    """Density (can exceed 1) and coverage (fraction of real samples whose ball holds a fake)."""

    density: float
    coverage: float


@dataclasses.dataclass(frozen=True)
class NearestNeighbourMetrics:
    """Improved precision/recall and density/coverage computed from shared distance passes."""

    precision: float
    recall: float
    density: float
    coverage: float


def _prepare(real_features, fake_features):
    real = check_features(real_features, "real_features", min_samples=2)
    fake = check_features(fake_features, "fake_features", min_samples=2)
    check_same_dim(real, fake, "real_features", "fake_features")
    return real.astype(np.float64, copy=False), fake.astype(np.float64, copy=False)


def _block_rows(block_size, num_columns):
    if block_size is None:
        return max(1, _BLOCK_ENTRIES // num_columns)
    return check_positive_int(block_size, "block_size")


def _squared_norms(features):
    return np.einsum("ij,ij->i", features, features)


def _squared_distances(rows, columns, column_norms):
    """||r - c||^2 for every row r and column c, as |r|^2 + |c|^2 - 2 r.c, clipped at 0."""
    if np.may_share_memory(rows, columns):
        # numpy computes a @ a.T of one buffer with a symmetric kernel (syrk) that rounds
        # differently from the general product used against another array; a copy of the
        # rows keeps every block on the general product.
        rows = rows.copy()
    distances = rows @ columns.T
    distances *= -2.0
    distances += _squared_norms(rows)[:, None]
    distances += column_norms[None, :]
    np.maximum(distances, 0.0, out=distances)
    return distances


def _check_k(k, num_samples, name, set_name):
    k = check_positive_int(k, name)
    if k >= num_samples:
        raise ValueError(
            f"{name}={k} needs more than {k} samples in {set_name}, which has {num_samples}; "
            f"pass more samples or a smaller {name}."
        )
    return k


def _kth_neighbour_squared_distances(features, ks, block_size):
    """Squared distance of every row to its k-th nearest other row, for each k in `ks`.

    Returns a dict k -> array [num_samples]. Blocks hold [neighbour rows, all samples as
    columns], so a sample's distances run down its column, computed exactly as the
    fake-versus-real pass computes a fake row against that sample. Each sample's distance to
    itself is set to exactly 0, so index k of its sorted column is the k-th neighbour; the
    max(ks) + 1 smallest entries of every column are carried from block to block.
    """
    num_samples = features.shape[0]
    norms = _squared_norms(features)
    rows = _block_rows(block_size, num_samples)
    ks = sorted(ks)
    depth = ks[-1] + 1
    smallest = np.empty((0, num_samples), dtype=features.dtype)
    for start in range(0, num_samples, rows):
        stop = min(start + rows, num_samples)
        distances = _squared_distances(features[start:stop], features, norms)
        distances[np.arange(stop - start), np.arange(start, stop)] = 0.0
        smallest = np.concatenate([smallest, distances], axis=0)
        if smallest.shape[0] > depth:
            smallest = np.partition(smallest, depth - 1, axis=0)[:depth]
    radii = np.partition(smallest, ks, axis=0)[ks]
    return {k: radii[index] for index, k in enumerate(ks)}


def knn_radii(features, k, block_size=None):
    """Euclidean distance from each row of `features` to its k-th nearest other row.

    Args:
      features: array [num_samples, dim] with num_samples > k.
      k: neighbour rank (3 for improved precision/recall, 5 for density/coverage).
      block_size: rows per distance block; None picks about 16M entries per block.

    Returns:
      float array [num_samples].
    """
    features = check_features(features, "features", min_samples=2).astype(np.float64, copy=False)
    k = _check_k(k, features.shape[0], "k", "features")
    return np.sqrt(_kth_neighbour_squared_distances(features, [k], block_size)[k])


def nearest_neighbour_metrics(
    real_features,
    fake_features,
    precision_recall_k=3,
    density_coverage_k=5,
    block_size=None,
):
    """Improved precision/recall and density/coverage, sharing the distance computations.

    Three blocked passes: k-NN radii of the real set (for both k at once), k-NN radii of the
    fake set, and fake-versus-real distances for all four scores.

    Args:
      real_features: real (reference) features [N, dim].
      fake_features: generated features [M, dim].
      precision_recall_k: k of Kynkaenniemi et al. 2019 (default 3).
      density_coverage_k: k of Naeem et al. 2020 (default 5).
      block_size: rows per distance block (memory ~ block_size x max(N, M) entries); None picks
        about 16M entries per block.

    Returns:
      NearestNeighbourMetrics(precision, recall, density, coverage) as Python floats.
    """
    real, fake = _prepare(real_features, fake_features)
    return _scores(real, fake, precision_recall_k, density_coverage_k, block_size)


def improved_precision_recall(real_features, fake_features, k=3, block_size=None):
    """Improved precision and recall of Kynkaenniemi et al. 2019 (k-NN manifolds, k = 3).

    precision: fraction of fake samples within the k-NN ball of at least one real sample.
    recall: fraction of real samples within the k-NN ball of at least one fake sample.
    Balls are closed (distance <= radius), as in the reference code.

    Returns:
      PrecisionRecall(precision, recall).
    """
    real, fake = _prepare(real_features, fake_features)
    scores = _scores(real, fake, k, None, block_size)
    return PrecisionRecall(precision=scores.precision, recall=scores.recall)


def density_coverage(real_features, fake_features, k=5, block_size=None):
    """Density and coverage of Naeem et al. 2020 (k-NN balls around real samples, k = 5).

    density: mean over fake samples of the number of real balls containing it, divided by k.
    coverage: fraction of real samples whose ball contains at least one fake sample.
    Balls are open (distance < radius), as in the reference code.

    Returns:
      DensityCoverage(density, coverage).
    """
    real, fake = _prepare(real_features, fake_features)
    scores = _scores(real, fake, None, k, block_size)
    return DensityCoverage(density=scores.density, coverage=scores.coverage)


def _scores(real, fake, pr_k, dc_k, block_size):
    num_real, num_fake = real.shape[0], fake.shape[0]
    real_ks = []
    if pr_k is not None:
        pr_k = _check_k(pr_k, num_real, "precision_recall_k", "real_features")
        pr_k = _check_k(pr_k, num_fake, "precision_recall_k", "fake_features")
        real_ks.append(pr_k)
    if dc_k is not None:
        dc_k = _check_k(dc_k, num_real, "density_coverage_k", "real_features")
        real_ks.append(dc_k)
    real_radii = _kth_neighbour_squared_distances(real, set(real_ks), block_size)
    if pr_k is not None:
        fake_radii = _kth_neighbour_squared_distances(fake, [pr_k], block_size)[pr_k]

    real_norms = _squared_norms(real)
    rows = _block_rows(block_size, num_real)
    in_real_manifold = np.zeros(num_fake, dtype=bool)
    in_fake_manifold = np.zeros(num_real, dtype=bool)
    balls_containing = np.zeros(num_fake, dtype=np.int64)
    nearest_fake = np.full(num_real, np.inf, dtype=real.dtype)
    for start in range(0, num_fake, rows):
        stop = min(start + rows, num_fake)
        distances = _squared_distances(fake[start:stop], real, real_norms)
        if pr_k is not None:
            # Kynkaenniemi et al. 2019, f(x, S) = 1 if ||x - s|| <= k-NN radius of s for some s.
            in_real_manifold[start:stop] = (distances <= real_radii[pr_k][None, :]).any(axis=1)
            in_fake_manifold |= (distances <= fake_radii[start:stop, None]).any(axis=0)
        if dc_k is not None:
            # Naeem et al. 2020, density: count of real balls B(x_i, NND_k(x_i)) holding y_j.
            balls_containing[start:stop] = (distances < real_radii[dc_k][None, :]).sum(axis=1)
            np.minimum(nearest_fake, distances.min(axis=0), out=nearest_fake)

    precision = recall = density = coverage = float("nan")
    if pr_k is not None:
        # Kynkaenniemi et al. 2019: precision = mean f(fake, real); recall = mean f(real, fake).
        precision = float(in_real_manifold.mean())
        recall = float(in_fake_manifold.mean())
    if dc_k is not None:
        # Naeem et al. 2020, density = (1 / kM) sum_j sum_i 1[y_j in B(x_i, NND_k(x_i))].
        density = float(balls_containing.sum() / (dc_k * num_fake))
        # Naeem et al. 2020, coverage = (1 / N) sum_i 1[exists j: y_j in B(x_i, NND_k(x_i))].
        coverage = float((nearest_fake < real_radii[dc_k]).mean())
    return NearestNeighbourMetrics(
        precision=precision, recall=recall, density=density, coverage=coverage
    )
