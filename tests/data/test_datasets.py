"""The dataset registry and the input pipeline: name resolution, batching, cache, sharding."""

import functools

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.data import datasets
from compare_gan_tf.data.base import DatasetError, DatasetInfo, Examples, Source, pipeline_position
from compare_gan_tf.data.datasets import (
    DatasetSpec,
    dataset_info,
    dataset_names,
    make_dataset,
    register_dataset,
    resolve,
)
from compare_gan_tf.data.digits import digits_arrays


@functools.cache
def _digits(split, resolution=32):
    return digits_arrays(split, resolution)


@functools.cache
def _digit_keys(split, resolution=32):
    return frozenset(_keys(*_digits(split, resolution)))


def _collect(dataset):
    images, labels = [], []
    for batch_images, batch_labels in dataset:
        images.append(batch_images.numpy())
        labels.append(batch_labels.numpy())
    return np.concatenate(images), np.concatenate(labels)


def _keys(images, labels):
    """One hashable key per example, to compare sets of examples in any order."""
    return [(int(label), image.tobytes()) for image, label in zip(images, labels)]


def _batch_keys(batches):
    return _keys(np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches]))


@pytest.fixture
def registry(monkeypatch):
    """Registrations made by a test are undone after it."""
    monkeypatch.setattr(datasets, "_REGISTRY", dict(datasets._REGISTRY))
    monkeypatch.setattr(datasets, "_ALIASES", dict(datasets._ALIASES))


# Name resolution and request validation.


def test_unknown_name_suggests_close_names_and_lists_the_valid_ones():
    with pytest.raises(DatasetError) as error:
        resolve("cifar100")
    message = str(error.value)
    assert "'cifar100'" in message
    assert "Did you mean 'cifar10'" in message
    for name in dataset_names():
        assert name in message
    assert "folder:PATH" in message
    assert "imagenet_{R} (R = 64, 128, 256, 512)" in message
    assert "fashion-mnist" in message


def test_unknown_name_without_close_match_has_no_suggestion():
    with pytest.raises(DatasetError, match="'zzzzqqq'") as error:
        make_dataset("zzzzqqq", "train", 8)
    assert "Did you mean" not in str(error.value)


@pytest.mark.parametrize("name", ["", None, 3])
def test_name_must_be_a_non_empty_string(name):
    with pytest.raises(DatasetError, match="non-empty string"):
        resolve(name)


def test_folder_prefix_needs_a_path():
    with pytest.raises(DatasetError, match="folder:PATH"):
        resolve("folder:")


def test_names_and_aliases():
    names = dataset_names()
    assert names == sorted(names)
    assert {"digits", "ring8", "grid25", "cifar10", "imagenet", "celeb_a_hq"} <= set(names)
    assert "imagenet_64" not in names and "fashion-mnist" not in names
    canonical, _, resolution = resolve("imagenet2012")
    assert (canonical, resolution) == ("imagenet", 128)
    canonical, _, resolution = resolve("lsun/bedroom")
    assert (canonical, resolution) == ("lsun_bedroom", 128)
    assert resolve("digits")[2] == 32
    assert resolve("digits", 16)[2] == 16
    assert resolve("ring8")[2] is None


def test_alias_fixes_the_resolution():
    canonical, source, resolution = resolve("imagenet_64")
    assert (canonical, resolution) == ("imagenet", 64)
    assert resolve("imagenet_64", 64)[2] == 64
    assert resolve("celeb_a_hq/256")[2] == 256
    assert dataset_info("celeb_a_hq_256").shape == (256, 256, 3)


def test_alias_with_a_conflicting_resolution_is_an_error():
    with pytest.raises(DatasetError) as error:
        resolve("imagenet_64", 128)
    message = str(error.value)
    assert "'imagenet_64'" in message and "64" in message and "resolution=128" in message
    assert "'imagenet'" in message


@pytest.mark.parametrize(
    ("name", "resolution", "match"),
    [
        ("digits", 12, "use one of 8, 16, 32, 64"),
        ("digits", 32.0, "integer number of pixels"),
        ("digits", True, "integer number of pixels"),
        ("ring8", 32, "takes no resolution"),
        ("cifar10", 2048, "out of range"),
    ],
)
def test_bad_resolution(name, resolution, match):
    with pytest.raises(DatasetError, match=match):
        resolve(name, resolution)


@pytest.mark.parametrize("split", ["test", "validation", "TRAIN", None])
def test_bad_split_is_an_error(split):
    with pytest.raises(DatasetError, match="use one of train, eval") as error:
        make_dataset("digits", split, 8)
    assert repr(split) in str(error.value) and "'digits'" in str(error.value)


@pytest.mark.parametrize("batch_size", [32.0, "32", True, None, np.float32(8)])
def test_global_batch_size_must_be_an_int(batch_size):
    with pytest.raises(DatasetError, match="must be an integer"):
        make_dataset("digits", "train", batch_size)


@pytest.mark.parametrize("batch_size", [0, -8])
def test_global_batch_size_must_be_positive(batch_size):
    with pytest.raises(DatasetError, match="at least 1"):
        make_dataset("digits", "train", batch_size)


def test_global_batch_size_must_be_a_multiple_of_the_replicas():
    context = tf.distribute.InputContext(2, 0, 4)
    with pytest.raises(DatasetError, match="30 .* not a multiple of the 4 replicas"):
        make_dataset("digits", "train", 30, input_context=context)
    with pytest.raises(DatasetError, match="multiple"):
        make_dataset("digits", "train", 2, input_context=context)
    dataset = make_dataset("digits", "train", 28, input_context=context, resolution=8)
    assert dataset.element_spec[0].shape == (7, 8, 8, 1)


def test_cache_must_be_auto_bool_or_path():
    with pytest.raises(DatasetError, match="cache must be"):
        make_dataset("digits", "train", 8, cache=3)


# Metadata.


def test_dataset_info_of_digits():
    info = dataset_info("digits", resolution=64)
    assert info.shape == (64, 64, 1) and info.is_image
    assert (info.resolution, info.channels, info.num_classes) == (64, 1, 10)
    assert info.num_examples == {"train": 1500, "eval": 297}
    assert dataset_info().shape == (32, 32, 1)


def test_dataset_info_of_a_mixture():
    info = dataset_info("ring8")
    assert info.shape == (2,) and not info.is_image
    assert info.resolution is None and info.channels is None
    assert info.num_classes == 8
    assert info.num_examples == {"train": None, "eval": 2500}


def test_dataset_info_of_tfds_needs_no_data(tmp_path):
    info = dataset_info("cifar10", data_dir=str(tmp_path / "empty"))
    assert (info.shape, info.num_classes) == ((32, 32, 3), 10)
    assert info.num_examples == {"train": 50000, "eval": 10000}
    assert info.splits == {"train": "cifar10:train", "eval": "cifar10:test"}
    assert info.source == "tensorflow_datasets"
    assert not (tmp_path / "empty").exists()
    info = dataset_info("celeb_a_hq_256")
    assert info.splits["eval"] == "celeb_a_hq/256:train[90%:]"


# The pipeline on digits.


def test_batches_are_images_in_range_and_int_labels():
    dataset = make_dataset("digits", "train", 64)
    assert dataset.element_spec[0].shape == (64, 32, 32, 1)
    assert dataset.element_spec[1].shape == (64,)
    images, labels = next(iter(dataset))
    assert images.dtype == tf.float32 and labels.dtype == tf.int32
    images, labels = images.numpy(), labels.numpy()
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() < -0.99 and images.max() > 0.9
    assert set(labels) <= set(range(10)) and len(set(labels)) > 1


@pytest.mark.parametrize(("split", "count"), [("train", 1500), ("eval", 297)])
def test_one_pass_keeps_every_example_once(split, count):
    dataset = make_dataset("digits", split, 64, repeat=False)
    assert dataset.element_spec[0].shape.as_list() == [None, 32, 32, 1]
    batches = [(images.numpy(), labels.numpy()) for images, labels in dataset]
    sizes = [len(labels) for _, labels in batches]
    assert sum(sizes) == count
    assert sizes[-1] == count % 64 and all(size == 64 for size in sizes[:-1])
    keys = _batch_keys(batches)
    assert len(keys) == len(set(keys)) == count
    assert set(keys) == _digit_keys(split)


def test_unshuffled_order_is_the_split_order():
    images, labels = _collect(make_dataset("digits", "eval", 100, shuffle=False, repeat=False))
    expected_images, expected_labels = _digits("eval")
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)


def test_drop_remainder_drops_the_partial_batch():
    dataset = make_dataset(
        "digits", "train", 64, resolution=8, shuffle=False, repeat=False, drop_remainder=True
    )
    assert dataset.element_spec[0].shape == (64, 8, 8, 1)
    assert sum(1 for _ in dataset) == 1500 // 64
    dataset = make_dataset("digits", "train", 64, repeat=True, drop_remainder=False)
    assert dataset.element_spec[0].shape.as_list() == [None, 32, 32, 1]


def test_shuffle_follows_the_seed():
    def first(seed):
        dataset = make_dataset("digits", "train", 100, seed=seed, resolution=8)
        return _keys(*(t.numpy() for t in next(iter(dataset))))

    once = first(1)
    assert once == first(1)
    assert once != first(2)
    assert once != _keys(*_digits("train", 8))[:100]


def test_each_epoch_is_a_fresh_permutation_of_the_split():
    dataset = iter(make_dataset("digits", "train", 1500, resolution=8))
    first = _keys(*(t.numpy() for t in next(dataset)))
    second = _keys(*(t.numpy() for t in next(dataset)))
    assert set(first) == set(second) == _digit_keys("train", 8)
    assert first != second


def test_cache_options_give_the_same_elements(tmp_path):
    def elements(cache):
        return _collect(
            make_dataset("digits", "eval", 100, resolution=16, seed=5, cache=cache, repeat=False)
        )

    reference = elements(False)
    assert set(_keys(*reference)) == _digit_keys("eval", 16)
    prefix = str(tmp_path / "digits")
    for cache in (True, "auto", prefix, prefix):
        images, labels = elements(cache)
        np.testing.assert_array_equal(images, reference[0])
        np.testing.assert_array_equal(labels, reference[1])
    written = sorted(path.name for path in tmp_path.iterdir())
    assert "digits_eval_16px_0of1.index" in written
    assert all(name.startswith("digits_eval_16px_0of1") for name in written)


class _CountingSource(Source):
    """Six 4x4 grey images; counts how often the deterministic map runs."""

    default_resolution = 4
    resolutions = (4,)

    def __init__(self, bytes_per_example=64):
        self.bytes_per_example = bytes_per_example
        self.prepared = 0

    def info(self, name, resolution):
        return DatasetInfo(name, (4, 4, 1), 0, {"train": 6, "eval": 6}, {}, "test")

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        def count(image):
            self.prepared += 1
            return image

        def prepare(image, label):
            image = tf.py_function(count, [image], tf.float32)
            return tf.ensure_shape(image, (4, 4, 1)), label

        images = np.linspace(-1, 1, 6 * 16, dtype=np.float32).reshape(6, 4, 4, 1)
        return Examples(
            dataset=tf.data.Dataset.from_tensor_slices((images, np.zeros(6, np.int32))),
            prepare=prepare,
            bytes_per_example=self.bytes_per_example,
            count=6,
        )


@pytest.mark.parametrize(
    ("cache", "bytes_per_example", "limit", "cached"),
    [
        ("auto", 64, None, True),
        ("auto", None, None, False),
        ("auto", 64, 6 * 64 - 1, False),
        ("auto", 64, 6 * 64, True),
        (True, None, None, True),
        (False, 64, None, False),
    ],
)
def test_cache_decides_whether_the_prepared_examples_are_reused(
    registry, monkeypatch, cache, bytes_per_example, limit, cached
):
    if limit is not None:
        monkeypatch.setattr(datasets, "AUTO_CACHE_BYTES", limit)
    source = _CountingSource(bytes_per_example)
    register_dataset("_test_counting", source)
    dataset = iter(make_dataset("_test_counting", "train", 6, cache=cache))
    for _ in range(3):
        next(dataset)
    if cached:
        assert source.prepared == 6
    else:
        assert source.prepared >= 18


# Sharding per input pipeline.


def test_input_pipelines_read_disjoint_shards_of_per_replica_batches():
    shards = []
    for index in range(2):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=index, num_replicas_in_sync=4
        )
        dataset = make_dataset(
            "digits", "train", 32, input_context=context, shuffle=False, repeat=False
        )
        batches = [(images.numpy(), labels.numpy()) for images, labels in dataset]
        sizes = [len(labels) for _, labels in batches]
        assert all(size == 8 for size in sizes[:-1]) and 0 < sizes[-1] <= 8
        assert sum(sizes) == 750
        assert all(images.shape[1:] == (32, 32, 1) for images, _ in batches)
        shards.append(set(_batch_keys(batches)))
    assert len(shards[0]) == len(shards[1]) == 750
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == _digit_keys("train")


def test_input_pipelines_repeat_with_static_per_replica_batches():
    context = tf.distribute.InputContext(2, 1, 4)
    dataset = make_dataset("digits", "eval", 32, input_context=context)
    assert dataset.element_spec[0].shape == (8, 32, 32, 1)
    seen = set()
    for images, labels in dataset.take(40):
        seen |= set(_keys(images.numpy(), labels.numpy()))
    assert seen <= _digit_keys("eval") and len(seen) == 148


def test_input_pipeline_i_shuffles_with_seed_plus_i():
    def shuffled_positions(index, seed):
        """Where the first 50 examples of pipeline `index` sit in its unshuffled shard."""
        context = tf.distribute.InputContext(2, index, 2)
        dataset = make_dataset(
            "digits", "train", 100, input_context=context, seed=seed, resolution=8
        )
        shard = _keys(*_digits("train", 8))[index::2]
        position = {key: i for i, key in enumerate(shard)}
        return [position[key] for key in _keys(*(t.numpy() for t in next(iter(dataset))))]

    assert shuffled_positions(1, 7) == shuffled_positions(0, 8)
    assert shuffled_positions(1, 7) != shuffled_positions(0, 7)


def test_file_cache_is_one_file_set_per_pipeline(tmp_path):
    prefix = str(tmp_path / "c")
    shards = []
    for index in range(2):
        context = tf.distribute.InputContext(2, index, 2)
        dataset = make_dataset(
            "digits", "eval", 8, input_context=context, resolution=8, cache=prefix, repeat=False
        )
        shards.append(set(_keys(*_collect(dataset))))
    names = {path.name for path in tmp_path.iterdir()}
    assert {"c_eval_8px_0of2.index", "c_eval_8px_1of2.index"} <= names
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == _digit_keys("eval", 8)


# DatasetSpec.


def test_spec_defaults_to_digits(clean_gin):
    spec = DatasetSpec()
    assert (spec.name, spec.resolution, spec.seed, spec.cache) == ("digits", 32, 547, "auto")
    assert spec.info.shape == (32, 32, 1)


def test_spec_is_bound_with_gin(clean_gin):
    gin.parse_config(
        """
        dataset.name = "digits"
        dataset.resolution = 16
        dataset.seed = 3
        dataset.cache = False
        """
    )
    spec = DatasetSpec()
    assert (spec.name, spec.resolution, spec.seed, spec.cache) == ("digits", 16, 3, False)
    assert spec.info.shape == (16, 16, 1)
    images, labels = next(iter(spec.make("eval", 10, shuffle=False)))
    assert images.shape == (10, 16, 16, 1)
    expected_images, expected_labels = _digits("eval", 16)
    np.testing.assert_array_equal(images.numpy(), expected_images[:10])
    np.testing.assert_array_equal(labels.numpy(), expected_labels[:10])
    shuffled = next(iter(spec.make("train", 10)))[1].numpy()
    again = next(iter(make_dataset("digits", "train", 10, resolution=16, seed=3)))[1].numpy()
    np.testing.assert_array_equal(shuffled, again)


def test_spec_alias_from_gin_fixes_the_resolution(clean_gin):
    gin.parse_config('dataset.name = "imagenet_256"')
    spec = DatasetSpec()
    assert spec.resolution == 256
    assert spec.info.shape == (256, 256, 3) and spec.info.num_classes == 1000


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ('dataset.name = "cifar"', "Unknown dataset 'cifar'"),
        ('dataset.name = ""', "non-empty string"),
        ("dataset.resolution = 12", "use one of 8, 16, 32, 64"),
        ('dataset.name = "imagenet_64"\ndataset.resolution = 128', "means resolution 64"),
        ('dataset.name = "ring8"\ndataset.resolution = 32', "takes no resolution"),
    ],
)
def test_spec_validates_at_construction(clean_gin, config, match):
    gin.parse_config(config)
    with pytest.raises(DatasetError, match=match):
        DatasetSpec()


def test_spec_distribute_yields_per_replica_batches(clean_gin, mirrored_strategy):
    spec = DatasetSpec()
    images, labels = next(iter(spec.distribute(mirrored_strategy, "train", 32)))
    assert isinstance(images, tf.distribute.DistributedValues)
    assert isinstance(labels, tf.distribute.DistributedValues)
    image_shards = mirrored_strategy.experimental_local_results(images)
    label_shards = mirrored_strategy.experimental_local_results(labels)
    assert len(image_shards) == len(label_shards) == 4
    for i, (shard_images, shard_labels) in enumerate(zip(image_shards, label_shards)):
        assert shard_images.shape == (8, 32, 32, 1) and shard_images.dtype == tf.float32
        assert shard_labels.shape == (8,) and shard_labels.dtype == tf.int32
        assert shard_images.device.endswith(f"CPU:{i}")
        assert set(shard_labels.numpy()) <= set(range(10))
        assert shard_images.numpy().min() >= -1.0 and shard_images.numpy().max() <= 1.0
    union = _keys(
        np.concatenate([shard.numpy() for shard in image_shards]),
        np.concatenate([shard.numpy() for shard in label_shards]),
    )
    assert len(set(union)) == 32 and set(union) <= _digit_keys("train")


def test_spec_distribute_passes_options_through(clean_gin, mirrored_strategy):
    spec = DatasetSpec(resolution=8)
    distributed = spec.distribute(mirrored_strategy, "eval", 32, shuffle=False, repeat=False)
    images, labels = next(iter(distributed))
    images = np.concatenate(
        [shard.numpy() for shard in mirrored_strategy.experimental_local_results(images)]
    )
    labels = np.concatenate(
        [shard.numpy() for shard in mirrored_strategy.experimental_local_results(labels)]
    )
    expected_images, expected_labels = _digits("eval", 8)
    assert sorted(_keys(images, labels)) == sorted(
        _keys(expected_images[:32], expected_labels[:32])
    )


# register_dataset.


class _TinySource(Source):
    """Ten 4x4 RGB uint8 images; `prepare` inverts them and `finalize` scales to [-1, 1]."""

    default_resolution = 4
    resolutions = (4,)

    def __init__(self, augment=None):
        self.augment = augment
        self.images = np.arange(10 * 4 * 4 * 3, dtype=np.uint8).reshape(10, 4, 4, 3)
        self.labels = np.arange(10, dtype=np.int32) % 3

    def info(self, name, resolution):
        return DatasetInfo(
            name, (4, 4, 3), 3, {"train": 10, "eval": 10}, {"train": "all", "eval": "all"}, "test"
        )

    def examples(self, name, split, resolution, input_context, seed, shuffle):
        num_pipelines, index = pipeline_position(input_context)
        dataset = tf.data.Dataset.from_tensor_slices((self.images, self.labels))
        return Examples(
            dataset=dataset.shard(num_pipelines, index),
            prepare=lambda image, label: (255 - image, label),
            augment=self.augment,
            finalize=lambda image: tf.cast(image, tf.float32) / 127.5 - 1.0,
            bytes_per_example=48,
            count=len(range(index, 10, num_pipelines)),
        )


def test_registered_source_works_through_make_dataset(registry):
    source = _TinySource()
    register_dataset("_test_tiny", source, aliases={"_test_tiny_4": 4, "tiny": None})
    assert "_test_tiny" in dataset_names() and "tiny" not in dataset_names()
    assert dataset_info("_test_tiny").num_classes == 3
    canonical, _, resolution = resolve("_test_tiny_4")
    assert (canonical, resolution) == ("_test_tiny", 4)
    dataset = make_dataset("tiny", "train", 4, shuffle=False, repeat=False)
    batches = [(images.numpy(), labels.numpy()) for images, labels in dataset]
    assert [len(labels) for _, labels in batches] == [4, 4, 2]
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.dtype == np.float32 and labels.dtype == np.int32
    np.testing.assert_allclose(images, (255.0 - source.images) / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(labels, source.labels)
    with pytest.raises(DatasetError, match="_test_tiny"):
        resolve("_test_tiny", 8)
    with pytest.raises(DatasetError) as error:
        resolve("_test_tin")
    assert "Did you mean '_test_tiny'" in str(error.value)
    assert "_test_tiny_{R} (R = 4)" in str(error.value)


def test_registered_factory_receives_the_data_dir(registry):
    calls = []

    def factory(data_dir):
        calls.append(data_dir)
        return _TinySource()

    register_dataset("_test_factory", factory)
    make_dataset("_test_factory", "eval", 5, data_dir="/some/dir")
    dataset_info("_test_factory", data_dir="/other")
    assert calls == ["/some/dir", "/other"]


def test_registering_a_name_twice_is_an_error(registry):
    register_dataset("_test_twice", _TinySource(), aliases={"_test_twice_alias": None})
    with pytest.raises(DatasetError, match="'_test_twice' is already registered"):
        register_dataset("_test_twice", _TinySource())
    with pytest.raises(DatasetError, match="already registered"):
        register_dataset("_test_twice_alias", _TinySource())
    with pytest.raises(DatasetError, match="already registered"):
        register_dataset("digits", _TinySource())


def test_alias_clashing_with_a_registered_name_is_an_error(registry):
    with pytest.raises(DatasetError, match="already registered"):
        register_dataset("_test_hijack", _TinySource(), aliases={"digits": None})
    assert resolve("digits")[0] == "digits"


def test_augment_gets_reproducible_per_example_seeds(registry):
    def augment(image, label, seed):
        return image, tf.cast(tf.math.floormod(seed[0], 1000003), tf.int32)

    register_dataset("_test_augment", _TinySource(augment))

    def seeds(seed):
        dataset = make_dataset("_test_augment", "train", 10, seed=seed, shuffle=False)
        return next(iter(dataset))[1].numpy().tolist()

    once = seeds(1)
    assert once == seeds(1)
    assert once != seeds(2)
    assert len(set(once)) == 10
