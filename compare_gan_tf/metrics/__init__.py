"""GAN evaluation metrics on feature arrays: FID, IS, KID, PRD, precision/recall, density/coverage.

The functions here take numpy arrays of features (or class probabilities) and return Python
floats or small dataclasses; they use numpy, scipy and scikit-learn and do not need TensorFlow.
"""

from compare_gan_tf.metrics._common import MeanStd
from compare_gan_tf.metrics.fid import (
    IntraClassFID,
    feature_statistics,
    fid_from_features,
    fid_from_statistics,
    intra_class_fid,
    trace_sqrt_product,
)
from compare_gan_tf.metrics.inception_score import inception_score, inception_score_from_logits
from compare_gan_tf.metrics.kid import kernel_inception_distance, mmd2_unbiased, polynomial_kernel
from compare_gan_tf.metrics.nearest_neighbours import (
    DensityCoverage,
    NearestNeighbourMetrics,
    PrecisionRecall,
    density_coverage,
    improved_precision_recall,
    knn_radii,
    nearest_neighbour_metrics,
)
from compare_gan_tf.metrics.prd import (
    PRDCurve,
    compute_prd,
    plot_prd,
    prd_from_embeddings,
    prd_to_max_f_beta_pair,
)

__all__ = [
    "DensityCoverage",
    "IntraClassFID",
    "MeanStd",
    "NearestNeighbourMetrics",
    "PRDCurve",
    "PrecisionRecall",
    "compute_prd",
    "density_coverage",
    "feature_statistics",
    "fid_from_features",
    "fid_from_statistics",
    "improved_precision_recall",
    "inception_score",
    "inception_score_from_logits",
    "intra_class_fid",
    "kernel_inception_distance",
    "knn_radii",
    "mmd2_unbiased",
    "nearest_neighbour_metrics",
    "plot_prd",
    "polynomial_kernel",
    "prd_from_embeddings",
    "prd_to_max_f_beta_pair",
    "trace_sqrt_product",
]
