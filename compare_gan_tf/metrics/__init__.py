"""GAN evaluation: metrics on feature arrays and on images, feature extractors, the evaluator.

The metric functions (FID, IS, KID, PRD, precision/recall, density/coverage) take numpy arrays
of features or logits and return Python floats or small dataclasses; they need no TensorFlow.
The image metrics (ms_ssim: MS-SSIM diversity; swd: sliced Wasserstein distance) take images
in [0, 1] and use TensorFlow for the filtering.
The extractors live in their own modules, imported on use: `inception` (TF-GAN's Inception,
from a local file), `digits_classifier` (shipped), `keras_extractors.KerasModelExtractor` (any Keras
model or hub handle). `Evaluator` scores a sampler against real images with any of them.
"""

from compare_gan_tf.metrics._common import MeanStd
from compare_gan_tf.metrics.evaluator import Evaluator, make_extractor
from compare_gan_tf.metrics.features import FeatureExtractor, extract
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
from compare_gan_tf.metrics.ms_ssim import ms_ssim_diversity, pairwise_ms_ssim
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
from compare_gan_tf.metrics.scores import DEFAULT_METRICS, METRICS, score_features
from compare_gan_tf.metrics.swd import SlicedWasserstein, sliced_wasserstein_distance

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "Evaluator",
    "FeatureExtractor",
    "extract",
    "make_extractor",
    "score_features",
    "DensityCoverage",
    "IntraClassFID",
    "MeanStd",
    "NearestNeighbourMetrics",
    "PRDCurve",
    "PrecisionRecall",
    "SlicedWasserstein",
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
    "ms_ssim_diversity",
    "nearest_neighbour_metrics",
    "pairwise_ms_ssim",
    "plot_prd",
    "polynomial_kernel",
    "prd_from_embeddings",
    "prd_to_max_f_beta_pair",
    "sliced_wasserstein_distance",
    "trace_sqrt_product",
]
