"""dataset.labeled_fraction: which training digits keep their label, by seed, in any order."""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.data.base import DatasetError
from compare_gan_tf.data.datasets import DatasetSpec, make_dataset
from compare_gan_tf.data.digits import digits_arrays


def _examples(fraction, seed=0, pipelines=1, split="train", shuffle=False):
    """{image bytes: label} of one pass over the digits at 8 px."""
    found = {}
    for index in range(pipelines):
        context = tf.distribute.InputContext(pipelines, index, pipelines)
        dataset = make_dataset(
            "digits", split, 10 * pipelines, input_context=context, resolution=8,
            shuffle=shuffle, repeat=False, labeled_fraction=fraction, labeled_seed=seed,
        )  # fmt: skip
        for images, labels in dataset:
            for image, label in zip(images.numpy(), labels.numpy()):
                found[image.tobytes()] = int(label)
    return found


def test_about_the_fraction_keep_their_true_label():
    images, labels = digits_arrays("train", 8)
    truth = {image.tobytes(): int(label) for image, label in zip(images, labels)}
    found = _examples(0.1)
    kept = [key for key, label in found.items() if label >= 0]
    assert set(found.values()) <= set(range(10)) | {-1}
    # Binomial(1500, 0.1): 150 +- 12; the 1,500 digits hold a few duplicates.
    assert 110 < len(kept) < 190
    assert all(found[key] == truth[key] for key in kept)


def test_the_choice_depends_on_the_seed_only():
    first = _examples(0.3, seed=1)
    assert _examples(0.3, seed=1, pipelines=2, shuffle=True) == first
    other = _examples(0.3, seed=2)
    assert other.keys() == first.keys() and other != first
    assert all(label >= 0 for label in _examples(1.0).values())
    assert all(label >= 0 for label in _examples(0.1, split="eval").values())


def test_bad_fractions_and_streams_are_refused():
    for fraction in (1.5, -0.1, "half", True):
        with pytest.raises(DatasetError, match="labeled_fraction must be a number in"):
            DatasetSpec(labeled_fraction=fraction)
    with pytest.raises(DatasetError, match="stream"):
        make_dataset("ring8", "train", 8, labeled_fraction=0.5)
    spec = DatasetSpec(resolution=8, labeled_fraction=0.0)
    _, labels = next(iter(spec.make("train", 64)))
    np.testing.assert_array_equal(labels, -np.ones(64))
