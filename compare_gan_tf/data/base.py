"""What every data source shares: the metadata record, the source interface and the errors."""

import dataclasses

import tensorflow as tf

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import UserError

# Our split names. Each source maps them onto its own splits (TFDS "test", a slice of "train"...).
SPLITS = ("train", "eval")

# The resolutions an image source accepts unless it lists its own.
MIN_RESOLUTION = 4
MAX_RESOLUTION = 1024


class DatasetError(UserError, ValueError):
    """A dataset request that cannot be met: unknown name, bad split, resolution or batch size."""


class DatasetNotFoundError(UserError, FileNotFoundError):
    """The data is not where the request says: TFDS data not prepared, folder missing or empty."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a trainer needs to size its models, known without building a pipeline.

    `shape` is one example's shape: (resolution, resolution, channels) for images and (2,) for
    2-D points. `num_classes` is 0 when the labels carry no information (they are all 0).
    `num_examples` maps "train" and "eval" to their sizes; None means an endless stream.
    `splits` names, for the record, which part of the source each of our splits reads.
    """

    name: str
    shape: tuple
    num_classes: int
    num_examples: dict
    splits: dict
    source: str

    @property
    def is_image(self):
        return len(self.shape) == 3

    @property
    def resolution(self):
        """Height (= width) of the images; None for 2-D points."""
        return self.shape[0] if self.is_image else None

    @property
    def channels(self):
        """1 (grayscale) or 3 (RGB); None for 2-D points."""
        return self.shape[2] if self.is_image else None


@dataclasses.dataclass
class Examples:
    """One pipeline's examples before batching, as a source hands them over.

    `dataset` yields (image, label int32) with the shard for this input pipeline already taken.
    `prepare` (may be None) is the deterministic per-example map (decode, crop, resize): its
    output can be cached. `augment` (may be None) is the random per-example map, applied after
    the cache: called as augment(image, label, seed) with a [2] int64 seed. `finalize` maps the
    image to float32 in [-1, 1] (None: the images already are). `bytes_per_example` sizes an
    in-memory cache of the prepared examples (None: never cache automatically); `count` is the
    number of examples in this shard when it is known.
    """

    dataset: tf.data.Dataset
    finalize: object = None
    prepare: object = None
    augment: object = None
    bytes_per_example: int | None = None
    count: int | None = None


class Source:
    """A named dataset. Subclasses implement `info` and `examples` (and may implement `stream`).

    `resolutions` lists the accepted resolutions (None: any from MIN_RESOLUTION to
    MAX_RESOLUTION); `default_resolution` is used when the request gives none.
    """

    default_resolution = None
    resolutions = None

    def check_resolution(self, name, resolution):
        """The resolution to use for `name`: the default if None, else `resolution` validated."""
        if resolution is None:
            return self.default_resolution
        if self.default_resolution is None:
            raise DatasetError(
                f"Dataset {name!r} holds 2-D points and takes no resolution (got "
                f"{resolution!r}); leave resolution unset."
            )
        if isinstance(resolution, bool) or not isinstance(resolution, int):
            raise DatasetError(
                f"The resolution must be an integer number of pixels; got {resolution!r} for "
                f"dataset {name!r}."
            )
        if self.resolutions is not None:
            check_choice(
                f"resolution for dataset {name!r}:",
                resolution,
                self.resolutions,
                error=DatasetError,
            )
        elif not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
            raise DatasetError(
                f"Resolution {resolution} for dataset {name!r} is out of range; use "
                f"{MIN_RESOLUTION} to {MAX_RESOLUTION} pixels."
            )
        return resolution

    def info(self, name, resolution):
        raise NotImplementedError

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        """This input pipeline's shard of `split` as `Examples`."""
        raise NotImplementedError

    def stream(self, name, split, batch_size, input_context, seed):
        """An endless dataset of ready (examples, labels) batches, or None to use `examples`."""
        return None


def check_split(name, split):
    check_choice(f"split for dataset {name!r}:", split, SPLITS, error=DatasetError)


def pipeline_position(input_context):
    """(number of input pipelines, this pipeline's index) for an optional InputContext."""
    if input_context is None:
        return 1, 0
    return input_context.num_input_pipelines, input_context.input_pipeline_id
