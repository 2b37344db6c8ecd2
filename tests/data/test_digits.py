"""scikit-learn's digits: counts, labels and the exact pixel mapping."""

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from compare_gan_tf.data import dataset_info, make_dataset
from compare_gan_tf.data.digits import digits_arrays


def _all(split, resolution):
    batches = list(
        make_dataset("digits", split, 500, resolution=resolution, shuffle=False, repeat=False)
    )
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    return images, labels


def test_split_sizes_and_label_counts_equal_sklearn():
    reference = load_digits()
    train_images, train_labels = _all("train", 8)
    eval_images, eval_labels = _all("eval", 8)
    assert len(train_labels) + len(eval_labels) == 1797
    assert (len(train_labels), len(eval_labels)) == (1500, 297)
    assert train_labels.dtype == np.int32
    np.testing.assert_array_equal(
        np.bincount(np.concatenate([train_labels, eval_labels]), minlength=10),
        np.bincount(reference.target, minlength=10),
    )
    info = dataset_info("digits", resolution=8)
    assert info.num_examples == {"train": 1500, "eval": 297}
    assert (info.shape, info.num_classes) == ((8, 8, 1), 10)


def test_native_resolution_is_sklearn_values_mapped_linearly():
    reference = load_digits()
    images, labels = _all("eval", 8)
    # 0 -> -1, 8 -> 0, 16 -> 1: v / 8 - 1, in order (no shuffle), the last 297 images.
    np.testing.assert_allclose(images[..., 0], reference.images[1500:] / 8.0 - 1.0, atol=1e-7)
    np.testing.assert_array_equal(labels, reference.target[1500:])


@pytest.mark.parametrize("resolution", [16, 32])
def test_bilinear_upsampling_equals_pillow(resolution):
    reference = load_digits().images[:40] / 8.0 - 1.0
    images, _ = digits_arrays("train", resolution, "bilinear")
    for ours, small in zip(images[:40, ..., 0], reference):
        pil = Image.fromarray(small.astype(np.float32), mode="F").resize(
            (resolution, resolution), Image.BILINEAR
        )
        np.testing.assert_allclose(ours, np.asarray(pil), atol=1e-6)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_nearest_upsampling_mean_pools_back_to_the_original():
    reference = load_digits().images[:1500] / 8.0 - 1.0
    images, _ = digits_arrays("train", 32, "nearest")
    pooled = images[..., 0].reshape(1500, 8, 4, 8, 4).mean(axis=(2, 4))
    np.testing.assert_allclose(pooled, reference, atol=1e-6)


def test_default_pipeline_shapes_and_range():
    images, labels = next(iter(make_dataset("digits", "train", 64)))
    assert images.shape == (64, 32, 32, 1) and images.dtype == "float32"
    assert labels.shape == (64,) and labels.dtype == "int32"
    assert float(np.min(images)) >= -1.0 and float(np.max(images)) <= 1.0
    assert set(np.unique(labels.numpy())) <= set(range(10))
