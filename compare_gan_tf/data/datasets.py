"""The dataset registry and the input pipeline: name -> source -> batches of (images, labels).

Every dataset yields `(images, labels)` batches: images float32 NHWC in [-1, 1] (2-D mixtures:
points float32 [B, 2] in raw coordinates), labels int32 [B] (0 when the dataset has no classes).
Splits are "train" and "eval"; each source documents which of its parts they read.

Under tf.distribute, pass the pipeline's `tf.distribute.InputContext` (what
`strategy.distribute_datasets_from_function` hands its function): each input pipeline then reads
its own disjoint shard and yields per-replica batches (global batch / replicas). Without one the
dataset yields global batches for `strategy.experimental_distribute_dataset`.

Order of the pipeline: read this pipeline's shard, deterministic preprocessing (decode, crop,
resize), cache, shuffle, repeat, random preprocessing (ImageNet's training crop), scale to
[-1, 1], batch, prefetch.
"""

import difflib

import gin
import tensorflow as tf

from compare_gan_tf.data import folders
from compare_gan_tf.data.base import (
    DatasetError,
    Source,
    check_split,
    pipeline_position,
)
from compare_gan_tf.data.digits import DigitsSource
from compare_gan_tf.data.gaussian_mixtures import MIXTURES, MixtureSource
from compare_gan_tf.data.labels import check_labeled_fraction, keep_labels
from compare_gan_tf.data.tfds_sources import TFDS_ALIASES, TFDS_DATASETS, TfdsSource

DEFAULT_DATASET = "digits"
# compare_gan's defaults: dataset.seed = 547, a shuffle buffer of 10,000 examples.
DEFAULT_SEED = 547
DEFAULT_SHUFFLE_BUFFER = 10000
# cache="auto" keeps a split in memory when its prepared examples take at most this many bytes.
AUTO_CACHE_BYTES = 2 * 1024**3

# name -> function(data_dir) -> Source
_REGISTRY = {}
# other spelling -> (name, resolution the spelling fixes or None)
_ALIASES = {}


def register_dataset(name, source, aliases=None):
    """Adds a dataset: `source` is a Source, or a function data_dir -> Source.

    `aliases` maps other spellings to None or to the resolution they stand for.
    """
    for taken in [name, *(aliases or {})]:
        if taken in _REGISTRY or taken in _ALIASES:
            raise DatasetError(f"Dataset {taken!r} is already registered; choose another name.")
    if isinstance(source, Source):
        _REGISTRY[name] = lambda data_dir, fixed=source: fixed
    else:
        _REGISTRY[name] = source
    for alias, resolution in (aliases or {}).items():
        _ALIASES[alias] = (name, resolution)


def dataset_names():
    """The registered names (aliases excluded), sorted."""
    return sorted(_REGISTRY)


def _alias_summary():
    """The aliases, with the ones that fix a resolution folded into patterns like imagenet_{R}."""
    plain, patterns = [], {}
    for alias, (_, resolution) in sorted(_ALIASES.items()):
        if resolution is None:
            plain.append(alias)
        else:
            pattern = alias.replace(str(resolution), "{R}")
            patterns.setdefault(pattern, []).append(resolution)
    folded = [
        f"{pattern} (R = {', '.join(str(r) for r in sorted(values))})"
        for pattern, values in sorted(patterns.items())
    ]
    return ", ".join(plain + folded)


def _unknown(name):
    known = sorted(_REGISTRY) + sorted(_ALIASES)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return DatasetError(
        f"Unknown dataset {name!r}.{hint} Valid names: {', '.join(sorted(_REGISTRY))}, and "
        f"{folders.PREFIX}PATH for a folder of images; also accepted: {_alias_summary()}."
    )


def resolve(name, resolution=None, data_dir=None):
    """(registered name, source, resolution) for a request; raises DatasetError if invalid."""
    if not isinstance(name, str) or not name:
        raise DatasetError(f"The dataset name must be a non-empty string; got {name!r}.")
    if name.startswith(folders.PREFIX):
        root = name[len(folders.PREFIX) :]
        if not root:
            raise DatasetError(f"Give the folder after the prefix: {folders.PREFIX}PATH.")
        source = folders.FolderSource(root)
        return name, source, source.check_resolution(name, resolution)
    canonical, fixed = _ALIASES.get(name, (name, None))
    if canonical not in _REGISTRY:
        raise _unknown(name)
    if fixed is not None:
        if resolution is not None and resolution != fixed:
            raise DatasetError(
                f"Dataset {name!r} means resolution {fixed}, but resolution={resolution!r} was "
                f"requested; ask for {canonical!r} with resolution={resolution!r} instead."
            )
        resolution = fixed
    source = _REGISTRY[canonical](data_dir)
    return canonical, source, source.check_resolution(name, resolution)


def dataset_info(name=DEFAULT_DATASET, resolution=None, data_dir=None):
    """The DatasetInfo (shape, classes, split sizes) of a dataset, without reading its data.

    Folders are listed and checked (that is how their size and classes are known).
    """
    _, source, resolution = resolve(name, resolution, data_dir)
    return source.info(name, resolution)


def _per_replica_batch_size(name, global_batch_size, input_context):
    if isinstance(global_batch_size, bool) or not isinstance(global_batch_size, int):
        raise DatasetError(f"global_batch_size must be an integer; got {global_batch_size!r}.")
    if global_batch_size < 1:
        raise DatasetError(f"global_batch_size must be at least 1; got {global_batch_size}.")
    if input_context is None:
        return global_batch_size
    replicas = input_context.num_replicas_in_sync
    if global_batch_size % replicas:
        raise DatasetError(
            f"The global batch size {global_batch_size} of dataset {name!r} is not a multiple "
            f"of the {replicas} replicas; change the batch size."
        )
    return input_context.get_per_replica_batch_size(global_batch_size)


def _cache(dataset, examples, cache, split, resolution, input_context):
    if cache == "auto":
        if examples.count is None or examples.bytes_per_example is None:
            return dataset
        if examples.count * examples.bytes_per_example > AUTO_CACHE_BYTES:
            return dataset
        return dataset.cache()
    if cache is True:
        return dataset.cache()
    if not cache:
        return dataset
    if isinstance(cache, str):
        num_pipelines, index = pipeline_position(input_context)
        return dataset.cache(f"{cache}_{split}_{resolution}px_{index}of{num_pipelines}")
    raise DatasetError(f"cache must be 'auto', True, False or a file path; got {cache!r}.")


def _options(input_context):
    options = tf.data.Options()
    # With an InputContext the shards are ours; otherwise let tf.distribute split by element.
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
        if input_context is not None
        else tf.data.experimental.AutoShardPolicy.DATA
    )
    return options


def make_dataset(
    name,
    split,
    global_batch_size,
    input_context=None,
    data_dir=None,
    resolution=None,
    shuffle=True,
    repeat=True,
    seed=DEFAULT_SEED,
    cache="auto",
    shuffle_buffer_size=DEFAULT_SHUFFLE_BUFFER,
    drop_remainder=None,
    labeled_fraction=1.0,
    labeled_seed=0,
):
    """A tf.data.Dataset of `(images, labels)` batches (see the module docstring).

    Args:
      name: a registered name (dataset_names()), an alias, or "folder:PATH".
      split: "train" or "eval".
      global_batch_size: examples per step over all replicas.
      input_context: a tf.distribute.InputContext, or None for one pipeline.
      data_dir: where TFDS data is prepared (None: TFDS's default, $TFDS_DATA_DIR).
      resolution: image side in pixels (None: the dataset's own).
      shuffle, repeat: shuffle the examples (and TFDS files); repeat forever.
      seed: shuffling and random-crop seed; pipeline i uses seed + i.
      cache: "auto" (in memory when the prepared split takes at most 2 GiB), True (memory),
        False, or a file path prefix.
      shuffle_buffer_size: examples in the shuffle buffer.
      drop_remainder: drop a last partial batch (None: when repeating, so batches have static
        shapes; a finite pass keeps every example).
      labeled_fraction, labeled_seed: in the train split, about this fraction of the examples
        keep their label and the others get -1 (unlabelled), chosen by a hash keyed by the seed
        (data/labels.py); for S3GAN.
    """
    _, source, resolution = resolve(name, resolution, data_dir)
    check_split(name, split)
    batch_size = _per_replica_batch_size(name, global_batch_size, input_context)
    num_pipelines, index = pipeline_position(input_context)
    pipeline_seed = seed + index
    stream = source.stream(name, split, batch_size, input_context, pipeline_seed)
    if stream is not None and check_labeled_fraction(labeled_fraction) < 1:
        raise DatasetError(f"Dataset {name!r} is a stream; it takes no dataset.labeled_fraction.")
    if stream is not None:
        return stream.with_options(_options(input_context)).prefetch(tf.data.AUTOTUNE)
    info = source.info(name, resolution)
    examples = source.examples(name, split, resolution, input_context, pipeline_seed, shuffle)
    dataset = examples.dataset
    if examples.prepare is not None:
        dataset = dataset.map(examples.prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if split == "train":
        dataset = keep_labels(dataset, labeled_fraction, labeled_seed)
    dataset = _cache(dataset, examples, cache, split, resolution, input_context)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=pipeline_seed)
    if repeat:
        dataset = dataset.repeat()
    if examples.augment is not None:
        seeds = tf.data.Dataset.random(seed=pipeline_seed).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda example, pair: examples.augment(*example, pair),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    finalize = examples.finalize

    def to_model(image, label):
        image = finalize(image) if finalize is not None else tf.cast(image, tf.float32)
        return tf.ensure_shape(image, info.shape), tf.cast(label, tf.int32)

    dataset = dataset.map(to_model, num_parallel_calls=tf.data.AUTOTUNE)
    if drop_remainder is None:
        drop_remainder = repeat
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.with_options(_options(input_context)).prefetch(tf.data.AUTOTUNE)


@gin.configurable("dataset")
class DatasetSpec:
    """The dataset of a run, set with gin (`dataset.name = "cifar10"`, compare_gan's name).

    `labeled_fraction` < 1 keeps the labels of about that fraction of the training examples
    (chosen by `labeled_seed`) and marks the others -1, for S3GAN (data/labels.py).

    `info` gives the metadata to size the models; `make` builds a pipeline; `distribute` builds
    one per input pipeline of a strategy.
    """

    def __init__(
        self,
        name=DEFAULT_DATASET,
        resolution=None,
        data_dir=None,
        seed=DEFAULT_SEED,
        cache="auto",
        shuffle_buffer_size=DEFAULT_SHUFFLE_BUFFER,
        labeled_fraction=1.0,
        labeled_seed=0,
    ):
        self.name = name
        self.data_dir = data_dir
        self.seed = seed
        self.cache = cache
        self.shuffle_buffer_size = shuffle_buffer_size
        self.labeled_fraction = check_labeled_fraction(labeled_fraction)
        self.labeled_seed = labeled_seed
        # Validates the name and resolution now, so a bad config fails before training starts.
        _, _, self.resolution = resolve(name, resolution, data_dir)

    @property
    def info(self):
        return dataset_info(self.name, self.resolution, self.data_dir)

    def make(
        self,
        split,
        global_batch_size,
        input_context=None,
        shuffle=True,
        repeat=True,
        drop_remainder=None,
    ):
        return make_dataset(
            self.name,
            split,
            global_batch_size,
            input_context=input_context,
            data_dir=self.data_dir,
            resolution=self.resolution,
            shuffle=shuffle,
            repeat=repeat,
            seed=self.seed,
            cache=self.cache,
            shuffle_buffer_size=self.shuffle_buffer_size,
            drop_remainder=drop_remainder,
            labeled_fraction=self.labeled_fraction,
            labeled_seed=self.labeled_seed,
        )

    def distribute(self, strategy, split, global_batch_size, **kwargs):
        """A distributed dataset of per-replica batches, one sharded pipeline per worker."""
        return strategy.distribute_datasets_from_function(
            lambda context: self.make(split, global_batch_size, context, **kwargs)
        )


register_dataset("digits", DigitsSource())
for _name, _mixture in MIXTURES.items():
    register_dataset(_name, MixtureSource(_mixture))
for _name, _spec in TFDS_DATASETS.items():
    register_dataset(
        _name,
        lambda data_dir, spec=_spec: TfdsSource(spec, data_dir),
        {alias: res for alias, (target, res) in TFDS_ALIASES.items() if target == _name},
    )
