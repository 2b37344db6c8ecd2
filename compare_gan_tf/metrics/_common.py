"""Input checks and small result types shared by the metric modules."""

import dataclasses
import hashlib

import numpy as np

from compare_gan_tf.paths import open_file


@dataclasses.dataclass(frozen=True)
class MeanStd:
    """A score averaged over splits or subsets, with the standard deviation across them."""

    mean: float
    std: float

    def __iter__(self):
        """Allows `mean, std = score`."""
        return iter((self.mean, self.std))


def check_features(features, name, min_samples=2):
    """Returns `features` as a finite 2-D numeric array [num_samples, dim] (dtype unchanged).

    Raises ValueError naming `name` when the rank, the sample count or the values are wrong.
    """
    array = np.asarray(features)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be a numeric array, got dtype {array.dtype}.")
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D [num_samples, feature_dim], got shape {array.shape}; "
            f"flatten each sample's features first, e.g. {name}.reshape(len({name}), -1)."
        )
    if array.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {array.shape[0]} samples but this metric needs at least {min_samples}; "
            "pass more samples."
        )
    if array.shape[1] < 1:
        raise ValueError(f"{name} has feature dimension 0; pass non-empty feature vectors.")
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite values; check the model outputs and the "
            "feature extractor that produced them."
        )
    return array


def check_same_dim(first, second, first_name, second_name):
    """Raises ValueError unless two feature arrays have the same feature dimension."""
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"{first_name} has feature dimension {first.shape[1]} but {second_name} has "
            f"{second.shape[1]}; compute both with the same feature extractor and layer."
        )


def check_positive_int(value, name, minimum=1):
    """Returns `value` as an int, raising ValueError unless it is an integer >= minimum."""
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def file_sha256(path):
    """Hex SHA-256 of a file's bytes, on any TensorFlow filesystem."""
    digest = hashlib.sha256()
    with open_file(path) as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
