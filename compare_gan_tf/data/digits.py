"""scikit-learn's handwritten digits: the embedded default dataset (no download, no network).

1,797 grayscale 8x8 images with labels 0-9 (the UCI "optical recognition of handwritten digits"
test set, shipped inside scikit-learn). Pixel counts 0..16 map linearly to [-1, 1] (v / 8 - 1),
then the images are upsampled to the requested resolution (32 px by default) with bilinear
interpolation (half-pixel centres, edges clamped; equal to Pillow's BILINEAR resize), or with
nearest-neighbour pixel replication if `digits.upsampling = "nearest"`.

Splits: "train" is the first 1,500 images, "eval" the last 297 (a fixed, disjoint held-out set;
scikit-learn's order cycles through the ten classes, so both splits hold all of them).
"""

import functools

import gin
import numpy as np
import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.data.base import DatasetInfo, Examples, Source, pipeline_position

NUM_TRAIN = 1500
NUM_EXAMPLES = 1797
MAX_VALUE = 16.0
UPSAMPLING = ("bilinear", "nearest")


@gin.configurable("digits")
def digits_options(upsampling="bilinear"):
    """How the 8x8 digits are enlarged: "bilinear" (default) or "nearest" (pixel replication)."""
    return {"upsampling": check_choice("digits upsampling", upsampling, UPSAMPLING)}


@functools.lru_cache(maxsize=1)
def _load():
    # Imported here: scikit-learn is only needed when the digits are used.
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.float32), digits.target.astype(np.int32)


def digits_arrays(split, resolution=32, upsampling="bilinear"):
    """(images float32 [N, R, R, 1] in [-1, 1], labels int32 [N]) of one split, as numpy."""
    images, labels = _load()
    part = slice(0, NUM_TRAIN) if split == "train" else slice(NUM_TRAIN, NUM_EXAMPLES)
    images = images[part, :, :, None] / (MAX_VALUE / 2.0) - 1.0
    if resolution != images.shape[1]:
        images = tf.image.resize(
            images, [resolution, resolution], method=upsampling, antialias=upsampling != "nearest"
        ).numpy()
    return images.astype(np.float32), labels[part]


class DigitsSource(Source):
    default_resolution = 32
    resolutions = (8, 16, 32, 64)

    def info(self, name, resolution):
        digits_options()  # checks gin's digits.* now, before the pipeline reads them
        return DatasetInfo(
            name=name,
            shape=(resolution, resolution, 1),
            num_classes=10,
            num_examples={"train": NUM_TRAIN, "eval": NUM_EXAMPLES - NUM_TRAIN},
            splits={"train": "digits[:1500]", "eval": "digits[1500:]"},
            source="sklearn.datasets.load_digits",
        )

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        images, labels = digits_arrays(split, resolution, **digits_options())
        num_pipelines, index = pipeline_position(input_context)
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        dataset = dataset.shard(num_pipelines, index)
        return Examples(
            dataset=dataset,
            finalize=None,
            bytes_per_example=images[0].nbytes,
            count=len(range(index, len(images), num_pipelines)),
        )
