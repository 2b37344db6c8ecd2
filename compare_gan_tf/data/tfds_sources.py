"""Named datasets read through TensorFlow Datasets (TFDS), with compare_gan's preprocessing.

| name          | TFDS           | px  | ch | classes | train split | eval split  | crop     |
|---------------|----------------|-----|----|---------|-------------|-------------|----------|
| mnist         | mnist          | 28  | 1  | 10      | train       | test        | none     |
| fashion_mnist | fashion_mnist  | 28  | 1  | 10      | train       | test        | none     |
| cifar10       | cifar10        | 32  | 3  | 10      | train       | test        | none     |
| celeb_a       | celeb_a        | 64  | 3  | 0       | train       | test        | 160      |
| celeb_a_hq    | celeb_a_hq/{R} | 128 | 3  | 0       | train[:90%] | train[90%:] | none     |
| lsun_bedroom  | lsun/bedroom   | 128 | 3  | 0       | train[:99%] | train[99%:] | 128      |
| imagenet      | imagenet2012   | 128 | 3  | 1000    | train       | validation  | see below|

- celeb_a: the central 160x160 window (offsets 29, 9 of the 218x178 image), resized to 64.
- celeb_a_hq: TFDS has one config per resolution (celeb_a_hq/128 ...), read as is. compare_gan
  never registered it (its example config failed); Kurach et al. 2019 hold out 3,000 of the
  30,000 images for testing: we hold out the last 10% (3,000).
- lsun_bedroom: the central 128x128 window of each image (min side 256), not rescaled, and a
  99% / 1% split of TFDS's train split, both as compare_gan did.
- imagenet at 64, 128, 256 or 512 px (compare_gan's imagenet_64 ... imagenet_512): training
  images get a random square crop covering 50-100% of the area, evaluation images the central
  square; both are then resized to the resolution.
Asking a dataset for another resolution than its own resizes its (cropped) images. Images with no
classes get label 0. ImageNet and CelebA-HQ need a manual download before `tfds build`.
"""

import dataclasses

import tensorflow as tf
import tensorflow_datasets as tfds

from compare_gan_tf.data import preprocessing
from compare_gan_tf.data.base import (
    DatasetInfo,
    DatasetNotFoundError,
    Examples,
    Source,
    pipeline_position,
)


@dataclasses.dataclass(frozen=True)
class TfdsSpec:
    """How one TFDS dataset becomes square images in [-1, 1].

    `tfds_name` may contain "{resolution}" (CelebA-HQ has a config per resolution). `crop` is
    "none", "center" (crop or pad to `crop_size`), "square" (central square) or "imagenet"
    (random square crop when training, central square when evaluating). `native_size` is the
    side of the image after the crop when it is fixed (None when it varies per image).
    """

    tfds_name: str
    channels: int
    num_classes: int
    splits: dict
    num_examples: dict
    default_resolution: int
    resolutions: tuple | None = None
    crop: str = "none"
    crop_size: int | None = None
    native_size: int | None = None


# Split sizes from the TFDS catalog; the sliced ones use TFDS's rounding to the closest example.
TFDS_DATASETS = {
    "mnist": TfdsSpec(
        "mnist", 1, 10, {"train": "train", "eval": "test"}, {"train": 60000, "eval": 10000}, 28,
        native_size=28,
    ),
    "fashion_mnist": TfdsSpec(
        "fashion_mnist", 1, 10, {"train": "train", "eval": "test"},
        {"train": 60000, "eval": 10000}, 28, native_size=28,
    ),
    "cifar10": TfdsSpec(
        "cifar10", 3, 10, {"train": "train", "eval": "test"}, {"train": 50000, "eval": 10000}, 32,
        native_size=32,
    ),
    "celeb_a": TfdsSpec(
        "celeb_a", 3, 0, {"train": "train", "eval": "test"}, {"train": 162770, "eval": 19962},
        64, crop="center", crop_size=160, native_size=160,
    ),
    "celeb_a_hq": TfdsSpec(
        "celeb_a_hq/{resolution}", 3, 0, {"train": "train[:90%]", "eval": "train[90%:]"},
        {"train": 27000, "eval": 3000}, 128, resolutions=(8, 16, 32, 64, 128, 256, 512, 1024),
    ),
    "lsun_bedroom": TfdsSpec(
        "lsun/bedroom", 3, 0, {"train": "train[:99%]", "eval": "train[99%:]"},
        {"train": 3002712, "eval": 30330}, 128, crop="center", crop_size=128, native_size=128,
    ),
    "imagenet": TfdsSpec(
        "imagenet2012", 3, 1000, {"train": "train", "eval": "validation"},
        {"train": 1281167, "eval": 50000}, 128, resolutions=(64, 128, 256, 512), crop="imagenet",
    ),
}  # fmt: skip

# Other spellings: compare_gan's names, TFDS's names, names that fix the resolution.
TFDS_ALIASES = {
    "fashion-mnist": ("fashion_mnist", None),
    "lsun-bedroom": ("lsun_bedroom", None),
    "lsun/bedroom": ("lsun_bedroom", None),
    "imagenet2012": ("imagenet", None),
    **{f"imagenet_{r}": ("imagenet", r) for r in (64, 128, 256, 512)},
    **{f"celeb_a_hq_{r}": ("celeb_a_hq", r) for r in TFDS_DATASETS["celeb_a_hq"].resolutions},
    **{f"celeb_a_hq/{r}": ("celeb_a_hq", r) for r in TFDS_DATASETS["celeb_a_hq"].resolutions},
}


def pipeline_split(split, input_context):
    """The part of a TFDS split one input pipeline reads: TFDS's even split number i of n."""
    num_pipelines, index = pipeline_position(input_context)
    if num_pipelines == 1:
        return split
    return tfds.even_splits(split, num_pipelines)[index]


def _not_prepared(dataset_name, builder, data_dir):
    root = data_dir or tfds.core.constants.DATA_DIR
    name = builder.info.full_name.rsplit("/", 1)[0]
    message = (
        f"Dataset {dataset_name!r} (TFDS {name!r}) is not prepared in data_dir {root!r} "
        f"(looked for {builder.data_dir}). Prepare it once on a machine with network access: "
        f"`tfds build {name} --data_dir={root}`, or copy a prepared copy there, then pass that "
        "directory as data_dir (gin: dataset.data_dir)."
    )
    manual = getattr(builder, "MANUAL_DOWNLOAD_INSTRUCTIONS", None)
    if manual:
        instructions = " ".join(manual.split())
        message += (
            f" {name} needs a manual download first: {instructions} Put the files in "
            f"{root}/downloads/manual (or pass --manual_dir=DIR to tfds build)."
        )
    return DatasetNotFoundError(message)


def load_tfds(dataset_name, tfds_name, split, data_dir=None, shuffle_files=False, seed=None):
    """builder.as_dataset(split) with one clear error when the data is not on disk."""
    builder = tfds.builder(tfds_name, data_dir=data_dir)
    read_config = tfds.ReadConfig(shuffle_seed=seed, try_autocache=False)
    try:
        return builder.as_dataset(split=split, shuffle_files=shuffle_files, read_config=read_config)
    except (AssertionError, FileNotFoundError, tf.errors.NotFoundError):
        raise _not_prepared(dataset_name, builder, data_dir) from None


class TfdsSource(Source):
    def __init__(self, spec, data_dir=None):
        self.spec = spec
        self.data_dir = data_dir
        self.default_resolution = spec.default_resolution
        self.resolutions = spec.resolutions

    def tfds_name(self, resolution):
        return self.spec.tfds_name.format(resolution=resolution)

    def info(self, name, resolution):
        spec = self.spec
        return DatasetInfo(
            name=name,
            shape=(resolution, resolution, spec.channels),
            num_classes=spec.num_classes,
            num_examples=dict(spec.num_examples),
            splits={k: f"{self.tfds_name(resolution)}:{v}" for k, v in spec.splits.items()},
            source="tensorflow_datasets",
        )

    def _native_size(self, resolution):
        # CelebA-HQ is stored at the requested resolution.
        return resolution if "{resolution}" in self.spec.tfds_name else self.spec.native_size

    def _maps(self, split, resolution):
        """(prepare, augment) for this split."""
        spec = self.spec
        if spec.crop == "imagenet":

            def center_square(image, label):
                square = preprocessing.center_square_crop(image)
                return preprocessing.resize(square, resolution), label

            def random_square(image, label, seed):
                square = preprocessing.distorted_square_crop(image, seed)
                return preprocessing.resize(square, resolution), label

            if split == "train":
                return None, random_square
            return center_square, None
        needs_resize = self._native_size(resolution) != resolution
        if spec.crop == "none" and not needs_resize:
            return None, None

        def prepare(image, label):
            if spec.crop == "center":
                image = preprocessing.crop_or_pad(image, spec.crop_size)
            if needs_resize:
                image = preprocessing.resize(image, resolution)
            return image, label

        return prepare, None

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        spec = self.spec
        num_pipelines, _ = pipeline_position(input_context)
        dataset = load_tfds(
            name,
            self.tfds_name(resolution),
            pipeline_split(spec.splits[split], input_context),
            data_dir=self.data_dir,
            shuffle_files=shuffle,
            seed=seed,
        )
        has_labels = spec.num_classes > 0

        def image_and_label(example):
            label = tf.cast(example["label"], tf.int32) if has_labels else tf.constant(0)
            return example["image"], label

        dataset = dataset.map(image_and_label, num_parallel_calls=tf.data.AUTOTUNE)
        prepare, augment = self._maps(split, resolution)
        if prepare is not None:
            bytes_per_example = resolution * resolution * spec.channels * 4
        elif augment is None:
            side = self._native_size(resolution)
            bytes_per_example = side * side * spec.channels
        else:
            bytes_per_example = None  # raw images of varying size: never cached automatically
        return Examples(
            dataset=dataset,
            finalize=preprocessing.to_model_range,
            prepare=prepare,
            augment=augment,
            bytes_per_example=bytes_per_example,
            count=-(-spec.num_examples[split] // num_pipelines),
        )
