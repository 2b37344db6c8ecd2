"""TFDS datasets, served offline by tfds.testing.mock_data, against numpy / Pillow references."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from compare_gan_tf.data import DatasetNotFoundError, dataset_info, make_dataset
from compare_gan_tf.data.tfds_sources import pipeline_split

N = 6


@pytest.fixture
def mock_tfds():
    with tfds.testing.mock_data(num_examples=N):
        yield


def _raw(tfds_name, split):
    dataset = tfds.load(tfds_name, split=split, shuffle_files=False)
    return [{k: v.numpy() for k, v in ex.items() if k in ("image", "label")} for ex in dataset]


def _ours(name, split, **kwargs):
    batch = next(iter(make_dataset(name, split, N, shuffle=False, repeat=False, **kwargs)))
    return batch[0].numpy(), batch[1].numpy()


def _pil_resize(image, size):
    return np.stack(
        [
            np.asarray(
                Image.fromarray(image[..., c].astype(np.float32), mode="F").resize(
                    (size, size), Image.BILINEAR
                )
            )
            for c in range(image.shape[-1])
        ],
        axis=-1,
    )


def test_cifar10_pixels_and_labels(mock_tfds):
    raw = _raw("cifar10", "test")
    images, labels = _ours("cifar10", "eval")
    assert images.shape == (N, 32, 32, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32
    expected = np.stack([ex["image"] for ex in raw]) / 127.5 - 1.0
    np.testing.assert_allclose(images, expected, atol=1e-6)
    np.testing.assert_array_equal(labels, [ex["label"] for ex in raw])
    assert images.min() >= -1.0 and images.max() <= 1.0


@pytest.mark.parametrize("name", ["celeb_a_hq", "celeb_a_hq_128", "celeb_a_hq/128"])
def test_celeb_a_hq_128(mock_tfds, name):
    raw = _raw("celeb_a_hq/128", "train")
    images, labels = _ours(name, "train")
    assert images.shape == (N, 128, 128, 3)
    np.testing.assert_array_equal(labels, 0)
    np.testing.assert_allclose(
        images, np.stack([ex["image"] for ex in raw]) / 127.5 - 1.0, atol=1e-6
    )
    info = dataset_info(name)
    assert info.shape == (128, 128, 3) and info.num_classes == 0
    assert info.num_examples == {"train": 27000, "eval": 3000}


def test_celeb_a_hq_other_resolution_reads_that_config(mock_tfds):
    images, _ = _ours("celeb_a_hq", "eval", resolution=64)
    assert images.shape == (N, 64, 64, 3)


def test_celeb_a_is_the_centre_160_crop_resized_to_64(mock_tfds):
    raw = _raw("celeb_a", "test")
    images, labels = _ours("celeb_a", "eval")
    assert images.shape == (N, 64, 64, 3)
    np.testing.assert_array_equal(labels, 0)
    for ours, example in zip(images, raw):
        assert example["image"].shape == (218, 178, 3)
        crop = example["image"][29:189, 9:169].astype(np.float64)
        expected = _pil_resize(crop, 64) / 127.5 - 1.0
        np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_mnist_is_one_channel_with_labels(mock_tfds):
    raw = _raw("mnist", "train")
    images, labels = _ours("mnist", "train")
    assert images.shape == (N, 28, 28, 1)
    np.testing.assert_array_equal(labels, [ex["label"] for ex in raw])


def test_lsun_bedroom_crops_the_centre_128(mock_tfds):
    images, labels = _ours("lsun/bedroom", "train")
    assert images.shape == (N, 128, 128, 3)
    np.testing.assert_array_equal(labels, 0)


@pytest.mark.parametrize("split", ["train", "eval"])
def test_imagenet_64_shapes_range_and_labels(mock_tfds, split):
    raw = _raw("imagenet2012", "train" if split == "train" else "validation")
    images, labels = _ours("imagenet_64", split)
    assert images.shape == (N, 64, 64, 3)
    assert images.min() >= -1.0 and images.max() <= 1.0
    np.testing.assert_array_equal(labels, [ex["label"] for ex in raw])
    if split == "eval":
        for ours, example in zip(images, raw):
            image = example["image"]
            side = min(image.shape[:2])
            top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
            square = image[top : top + side, left : left + side].astype(np.float64)
            np.testing.assert_allclose(ours, _pil_resize(square, 64) / 127.5 - 1.0, atol=1e-5)


def test_missing_dataset_names_dataset_directory_and_fix(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        make_dataset("cifar10", "train", 8, data_dir=str(tmp_path))
    message = str(error.value)
    assert "'cifar10'" in message and str(tmp_path) in message
    assert f"tfds build cifar10 --data_dir={tmp_path}" in message
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_missing_imagenet_explains_the_manual_download(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="imagenet_128") as error:
        make_dataset("imagenet_128", "train", 8, data_dir=str(tmp_path))
    assert "ILSVRC2012_img_train.tar" in str(error.value)
    assert f"{tmp_path}/downloads/manual" in str(error.value)


def test_metadata_needs_no_data(tmp_path):
    info = dataset_info("imagenet", resolution=256, data_dir=str(tmp_path))
    assert (info.shape, info.num_classes) == ((256, 256, 3), 1000)
    assert info.num_examples == {"train": 1281167, "eval": 50000}
    assert info.splits == {"train": "imagenet2012:train", "eval": "imagenet2012:validation"}
    assert dataset_info("lsun-bedroom").splits["eval"] == "lsun/bedroom:train[99%:]"
    assert dataset_info("celeb_a").shape == (64, 64, 3)
    assert dataset_info("fashion-mnist").shape == (28, 28, 1)


def test_each_pipeline_reads_its_even_split():
    context = tf.distribute.InputContext(3, 1, 6)
    assert pipeline_split("train[:99%]", context) == tfds.even_splits("train[:99%]", 3)[1]
    assert pipeline_split("test", None) == "test"
    assert pipeline_split("test", tf.distribute.InputContext(1, 0, 4)) == "test"
