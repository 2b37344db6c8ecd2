"""Datasets: TFDS names, image folders, scikit-learn's digits and 2-D Gaussian mixtures.

`make_dataset(name, split, global_batch_size, ...)` returns batches of (images float32 NHWC in
[-1, 1], labels int32); `dataset_info(name, ...)` gives shapes, classes and split sizes without
reading data; gin's `dataset.*` configures the `DatasetSpec` a run uses.
"""

from compare_gan_tf.data.base import (
    SPLITS,
    DatasetError,
    DatasetInfo,
    DatasetNotFoundError,
    Examples,
    Source,
)
from compare_gan_tf.data.datasets import (
    DEFAULT_DATASET,
    DatasetSpec,
    dataset_info,
    dataset_names,
    make_dataset,
    register_dataset,
)
from compare_gan_tf.data.gaussian_mixtures import (
    GRID25,
    MIXTURES,
    RING8,
    GaussianMixture,
    mode_statistics,
    sample_mixture,
)
from compare_gan_tf.data.tfds_sources import TfdsSource, TfdsSpec

__all__ = [
    "DEFAULT_DATASET",
    "GRID25",
    "MIXTURES",
    "RING8",
    "SPLITS",
    "DatasetError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "DatasetSpec",
    "Examples",
    "GaussianMixture",
    "Source",
    "TfdsSource",
    "TfdsSpec",
    "dataset_info",
    "dataset_names",
    "make_dataset",
    "mode_statistics",
    "register_dataset",
    "sample_mixture",
]
