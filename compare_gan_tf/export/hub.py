"""Generators and discriminators as TF2 SavedModels that `tensorflow_hub` loads and serves.

A generator module, loaded with `hub.load(path)` (only tensorflow and tensorflow_hub needed):
- `module(z, labels)` / `module(z)` and signature "default": z float32 [B, z_dim] (labels int32
  [B] in [0, num_classes) when conditional) -> {"generated": float32 [B, H, W, 3] in [0, 1]}.
  `module(...)` also takes z of any dtype in input_checks.Z_DTYPES and labels of any in
  LABEL_DTYPES (numpy's float64 and int64 among them), converted to float32 and int32; the
  signature takes float32 and int32 only. Before any computation the module checks the shapes,
  B <= MAX_BATCH_SIZE (4096), that z is finite and the labels in range, and fails with
  tf.errors.InvalidArgumentError naming the argument, the expected shape and what was given.
  Another dtype fails with TensorFlow's "Could not find matching concrete function".
  Grayscale models are tiled to 3 channels, so every module has the same output format. A
  generator of points (e.g. the 2-D Gaussian mixtures) gives {"generated": float32 [B, D]} in
  the data's coordinates, with resolution 0 and channels D.
- `module.sample(batch_size, truncation, seed[, labels])` and signature "sample" (without
  labels): z from the prior with the truncation trick, labels uniform from the seed when omitted
  -> {"generated", "z", "labels" (conditional only)}. Batch-norm statistics matched to the
  threshold (BigGAN, appendix C): a module exported with `standing_statistics` holds the
  standing statistics of z truncated at each of TRUNCATION_THRESHOLDS (its variable
  `truncation_thresholds`) and of untruncated z; `sample` uses those of the smallest tabulated
  threshold at or above its own (untruncated beyond the largest), then puts the untruncated
  ones back. `module(z)` always uses the untruncated statistics. Without tabulated statistics
  (`truncation_thresholds` empty) every threshold uses the untruncated ones.
- Metadata variables: z_dim, num_classes (0 = unconditional), resolution, channels (the model's
  own), z_prior, step (-1 = unknown), dataset, gin_config, metadata (JSON with all of it and the
  scores), and the asset `metadata_file` (assets/metadata.json).
A discriminator module: `module(images[, labels])` and signature "default": images float32
[B, H, W, C] in [0, 1] -> {"logits": float32 [B, 1]}, C being the model's `channels`.
`module(...)` takes both 1 and 3 channels (float32 or float64), so it reads what any generator
module emits: for a grayscale D, RGB images become their channel mean (a tiled gray image
exactly); for an RGB D, gray images are tiled.
"""

import json
import os
import uuid

import numpy as np
import tensorflow as tf

from compare_gan_tf.architectures.latents import check_z_prior, seeded_z
from compare_gan_tf.data.preprocessing import to_unit_range
from compare_gan_tf.export.input_checks import (
    IMAGE_DTYPES,
    LABEL_DTYPES,
    MAX_BATCH_SIZE,
    Z_DTYPES,
    checked_images,
    checked_labels,
    checked_z,
)
from compare_gan_tf.files import move_directory, plain_json_value, write_error
from compare_gan_tf.layers.normalization import batch_norm_layers

METADATA_FILE = "metadata.json"
# A killed export leaves its workspace behind under this name; the next export to the same path
# removes it. Both are hidden siblings ".<name><mark><id>": on ram:// a name that merely begins
# with the module's path would count as inside it.
_WORKSPACE_MARK = ".incomplete-export-"
_REPLACED_MARK = ".replaced-export-"
# The truncation thresholds whose standing statistics a generator module keeps for `sample`.
TRUNCATION_THRESHOLDS = (0.25, 0.5, 1.0, 1.5, 2.0)


def export_generator(
    generator,
    path,
    *,
    num_classes=None,
    z_prior="normal",
    metadata=None,
    standing_statistics=None,
):
    """Writes `generator` (z[, labels] -> images in [-1, 1]) as a hub module at `path`.

    num_classes: for a generator without a `num_classes` attribute (None: unconditional); one
    that has it must agree with it. z_prior: "normal" (N(0, 1)) or "uniform"
    (U(-1, 1)), what `sample` draws z from. metadata: JSON-serializable dict; the keys dataset,
    step and gin_config also become module variables, everything (scores too) goes to the JSON.
    standing_statistics: optional callable(truncation) that recomputes the generator's BN
    statistics from z truncated at `truncation` (None: untruncated); the module then keeps them
    for every threshold in TRUNCATION_THRESHOLDS. It is called last with None, so the generator
    is left with (and `module(z)` uses) the untruncated statistics.
    Returns `path`. Replaces a module already at `path` only once the new one is complete.
    """
    check_z_prior(z_prior)
    path = _prepare_target(path)
    num_classes = _model_num_classes(generator, num_classes)
    z_dim = int(generator.z_dim)
    labels = tf.zeros([1], tf.int32) if num_classes else None
    # One example run creates the weights and reveals the output shape.
    shape = generator(tf.zeros([1, z_dim]), labels, training=False).shape[1:]
    if len(shape) == 1:  # points: resolution 0, one "channel" per coordinate
        resolution, channels = 0, int(shape[0])
    else:
        resolution, width, channels = shape
        if resolution != width or channels not in (1, 3):
            raise ValueError(
                f"export_generator needs square grayscale or RGB images or [B, D] points, but "
                f"the generator makes [{resolution}, {width}, {channels}]."
            )
    info = _info(
        metadata,
        kind="generator",
        z_dim=z_dim,
        num_classes=num_classes,
        resolution=resolution,
        channels=channels,
        z_prior=z_prior,
    )
    tables = _tabulate_statistics(generator, standing_statistics)
    module = _GeneratorModule(generator, info, tables)
    signatures = {"default": module.default_signature, "sample": module.sample_signature}
    return _save_atomically(module, signatures, info, path)


def export_discriminator(discriminator, path, *, num_classes=None, channels=None, metadata=None):
    """Writes `discriminator` (images in [-1, 1][, labels] -> logits) as a hub module at `path`.

    num_classes: as in `export_generator`. channels: the image channels D reads;
    None takes them from D's first call (pass them for a D that was never called).
    """
    path = _prepare_target(path)
    num_classes = _model_num_classes(discriminator, num_classes)
    resolution = int(discriminator.resolution)
    channels = _discriminator_channels(discriminator, channels)
    labels = tf.zeros([1], tf.int32) if num_classes else None
    # One example run creates the weights of a D that was never called.
    discriminator(tf.zeros([1, resolution, resolution, channels]), labels, training=False)
    info = _info(
        metadata,
        kind="discriminator",
        num_classes=num_classes,
        resolution=resolution,
        channels=channels,
    )
    module = _DiscriminatorModule(discriminator, info)
    return _save_atomically(module, {"default": module.default_signature}, info, path)


def _model_num_classes(model, num_classes):
    """The model's own num_classes (None: unconditional) if it has one, else `num_classes`."""
    if not hasattr(model, "num_classes"):
        return num_classes
    if num_classes is not None and num_classes != model.num_classes:
        raise ValueError(
            f"num_classes={num_classes} disagrees with the model's num_classes="
            f"{model.num_classes}; leave num_classes=None to use the model's."
        )
    return model.num_classes


def _discriminator_channels(discriminator, channels):
    build_config = (discriminator.get_build_config() if discriminator.built else None) or {}
    built_shape = build_config.get("input_shape")
    built_channels = built_shape[-1] if built_shape else None
    if channels is None and built_channels is None:
        raise ValueError(
            "The discriminator has never been called, so its image channels are unknown; "
            "pass channels=1 or channels=3."
        )
    if channels is not None and built_channels is not None and channels != built_channels:
        raise ValueError(
            f"channels={channels} disagrees with the {built_channels} channels the "
            "discriminator was built for; leave channels=None."
        )
    return int(channels or built_channels)


def _info(metadata, **model_facts):
    """User metadata (checked to be JSON) merged with the facts read off the model."""
    info = dict(metadata or {})
    info.update(model_facts)
    try:
        json.dumps(info, default=plain_json_value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Export metadata must be JSON-serializable ({error}); pass numbers, strings, "
            "lists and dicts."
        ) from error
    return info


def _metadata_json(info):
    return json.dumps(info, default=plain_json_value, indent=2, sort_keys=True)


class _ExportedModule(tf.__internal__.tracking.AutoTrackable):
    """Model weights and metadata variables, laid out as a Reusable SavedModel (hub's format).

    AutoTrackable (as keras.export uses) rather than tf.Module: hub.KerasLayer reads the
    attributes `variables` and `trainable_variables`, which tf.Module reserves as properties.
    """

    def __init__(self, model, info):
        self.variables = list(model.variables)
        self.trainable_variables = list(model.trainable_variables)
        self.num_classes = _constant(info["num_classes"] or 0)
        self.resolution = _constant(info["resolution"])
        self.channels = _constant(info["channels"])
        self.step = _constant(info.get("step", -1), tf.int64)
        self.dataset = _constant(info.get("dataset", ""))
        self.gin_config = _constant(info.get("gin_config", ""))
        self.metadata = _constant(_metadata_json(info))
        # The bound call rather than the model: saving a Keras model would also trace the
        # serving function Keras attaches to it. `variables` above keeps the weights tracked.
        self._apply_model = model.__call__
        self._num_classes = info["num_classes"]
        self._resolution = info["resolution"]

    def _fail_without_labels(self):
        # A traced call without labels, so that `module(x)` on a conditional module explains
        # itself instead of listing the saved input signatures.
        tf.debugging.Assert(
            False,
            [
                f"This module is class-conditional (num_classes={self._num_classes}): call it "
                f"with labels, int32 [batch] in [0, {self._num_classes})."
            ],
        )


def _tabulate_statistics(generator, standing_statistics):
    """[(BN moving mean or variance, its value at each of TRUNCATION_THRESHOLDS and untruncated,
    stacked)]; [] without `standing_statistics` or without batch norm."""
    variables = [
        variable
        for layer in batch_norm_layers(generator)
        for variable in (layer.moving_mean, layer.moving_variance)
    ]
    if standing_statistics is None or not variables:
        return []
    rows = []
    for truncation in (*TRUNCATION_THRESHOLDS, None):
        standing_statistics(truncation)
        rows.append([variable.numpy() for variable in variables])
    return [(variable, np.stack(values)) for variable, values in zip(variables, zip(*rows))]


def _constant(value, dtype=None):
    """A non-trainable variable: a plain tensor attribute is not saved in a SavedModel."""
    return tf.Variable(value, dtype=dtype, trainable=False)


class _GeneratorModule(_ExportedModule):
    """`__call__(z[, labels])` and `sample(batch_size, truncation, seed[, labels])`."""

    def __init__(self, generator, info, statistics_tables=()):
        super().__init__(generator, info)
        self.z_dim = _constant(info["z_dim"])
        thresholds = TRUNCATION_THRESHOLDS if statistics_tables else ()
        self.truncation_thresholds = _constant(thresholds, tf.float32)
        self._statistics = [variable for variable, _ in statistics_tables]
        self._statistics_tables = [_constant(table) for _, table in statistics_tables]
        self.z_prior = _constant(info["z_prior"])
        self._z_dim = info["z_dim"]
        self._z_prior = info["z_prior"]
        self._points = info["resolution"] == 0
        if self._points:
            self._generated_shape = [0, info["channels"]]
        else:
            self._generated_shape = [0, self._resolution, self._resolution, 3]
        z_spec = tf.TensorSpec([None, self._z_dim], tf.float32, name="z")
        labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
        sample_specs = (
            tf.TensorSpec([], tf.int32, name="batch_size"),
            tf.TensorSpec([], tf.float32, name="truncation"),
            tf.TensorSpec([], tf.int32, name="seed"),
        )
        self.__call__ = tf.function(self._generate)
        self.sample = tf.function(self._sample)
        # The traces below are what the SavedModel keeps; the loaded functions accept only these.
        # The signatures' come first: a later, more specific spec would reuse a general trace.
        if self._num_classes:
            self.default_signature = self.__call__.get_concrete_function(z_spec, labels_spec)
        else:
            self.default_signature = self.__call__.get_concrete_function(z_spec)
        self.sample_signature = self.sample.get_concrete_function(*sample_specs)
        # z of any shape (the checks name a wrong one) and of each of Z_DTYPES, with labels of
        # each of LABEL_DTYPES when conditional.
        for z_dtype in Z_DTYPES:
            any_z = tf.TensorSpec(None, z_dtype, name="z")
            self.__call__.get_concrete_function(any_z)
            for labels_dtype in LABEL_DTYPES if self._num_classes else ():
                any_labels = tf.TensorSpec(None, labels_dtype, name="labels")
                self.__call__.get_concrete_function(any_z, any_labels)
                self.sample.get_concrete_function(*sample_specs, any_labels)

    def _generate(self, z, labels=None):
        if self._num_classes and labels is None:
            self._fail_without_labels()
            return {"generated": tf.zeros(self._generated_shape)}
        z = checked_z(z, self._z_dim)
        if self._num_classes:
            labels = checked_labels(labels, tf.shape(z)[0], self._num_classes)
        images = self._apply_model(z, labels, training=False)
        if self._points:
            return {"generated": images}
        images = to_unit_range(images)
        if images.shape[-1] == 1:
            images = tf.tile(images, [1, 1, 1, 3])
        return {"generated": images}

    def _sample(self, batch_size, truncation, seed, labels=None):
        checks = [
            tf.debugging.assert_non_negative(batch_size, message="batch_size must be a count >= 0"),
            tf.debugging.assert_less_equal(
                batch_size,
                MAX_BATCH_SIZE,
                message=f"batch_size must be at most MAX_BATCH_SIZE = {MAX_BATCH_SIZE}; call "
                "sample several times with other seeds for more",
            ),
            # NaN fails this comparison as well.
            tf.debugging.assert_greater(
                truncation,
                0.0,
                message="truncation must be > 0 (inf for none); it is the largest |z| kept",
            ),
        ]
        with tf.control_dependencies(checks):
            seed = tf.identity(seed)
        z = seeded_z(batch_size, self._z_dim, self._z_prior, seed, truncation)
        if not self._num_classes:
            return dict(self._generate_matched(z, None, truncation), z=z)
        if labels is None:
            labels = tf.random.stateless_uniform(
                [batch_size], _fold_in(tf.stack([seed, 0]), 1), 0, self._num_classes, dtype=tf.int32
            )
        else:
            labels = checked_labels(labels, batch_size, self._num_classes)
        return dict(self._generate_matched(z, labels, truncation), z=z, labels=labels)

    def _generate_matched(self, z, labels, truncation):
        """`_generate` with the BN statistics tabulated for `truncation`, then the untruncated
        ones restored."""
        if not self._statistics:
            return self._generate(z, labels)
        # The smallest tabulated threshold >= truncation; past the largest, the untruncated row.
        row = tf.reduce_sum(tf.cast(self.truncation_thresholds < truncation, tf.int32))
        pairs = list(zip(self._statistics, self._statistics_tables))
        matched = [variable.assign(tf.gather(table, row)) for variable, table in pairs]
        with tf.control_dependencies(matched):
            outputs = self._generate(z, labels)
        with tf.control_dependencies(list(outputs.values())):
            restored = [variable.assign(table[-1]) for variable, table in pairs]
        with tf.control_dependencies(restored):
            return {name: tf.identity(value) for name, value in outputs.items()}


def _fold_in(key, data):
    return tf.random.experimental.stateless_fold_in(key, data)


class _DiscriminatorModule(_ExportedModule):
    """`__call__(images[, labels])` with images in [0, 1]."""

    def __init__(self, discriminator, info):
        super().__init__(discriminator, info)
        size, channels = info["resolution"], info["channels"]
        self._channels = channels
        images_spec = tf.TensorSpec([None, size, size, channels], tf.float32, name="images")
        labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
        self.__call__ = tf.function(self._discriminate)
        if self._num_classes:
            self.default_signature = self.__call__.get_concrete_function(images_spec, labels_spec)
        else:
            self.default_signature = self.__call__.get_concrete_function(images_spec)
        # Gray and RGB images of each of IMAGE_DTYPES: what any generator module emits (RGB)
        # and what D was trained on; labels of each of LABEL_DTYPES when conditional.
        for given_channels in (1, 3):
            for images_dtype in IMAGE_DTYPES:
                any_images = tf.TensorSpec([None, None, None, given_channels], images_dtype)
                self.__call__.get_concrete_function(any_images)
                for labels_dtype in LABEL_DTYPES if self._num_classes else ():
                    labels_any = tf.TensorSpec(None, labels_dtype)
                    self.__call__.get_concrete_function(any_images, labels_any)

    def _discriminate(self, images, labels=None):
        if self._num_classes and labels is None:
            self._fail_without_labels()
            return {"logits": tf.zeros([0, 1])}
        images = checked_images(images, self._resolution, self._channels)
        if self._num_classes:
            labels = checked_labels(labels, tf.shape(images)[0], self._num_classes)
        return {"logits": self._apply_model(images * 2.0 - 1.0, labels, training=False)}


def _save_atomically(module, signatures, info, path):
    """Saves into a workspace next to `path`, then renames the finished module into place.

    A crash leaves `path` as it was; a module already there is replaced by two renames after the
    new one is complete. Atomic on a local filesystem; elsewhere (gs://, ram://) the files are
    copied, saved_model.pb last, so a crash midway leaves a folder that loads as no module.
    """
    workspace = f"{_sibling(path, _WORKSPACE_MARK)}{uuid.uuid4().hex}"
    try:
        tf.io.gfile.makedirs(workspace)
        _save_into(module, signatures, info, path, workspace)
    except (OSError, tf.errors.OpError) as error:
        raise type(write_error(path, error))(
            f"{write_error(path, error)}. Nothing was exported; a module already at {path} is "
            "left as it was. Free space or fix the permissions, or export elsewhere."
        ) from error
    return path


def _save_into(module, signatures, info, path, workspace):
    try:
        metadata_file = os.path.join(workspace, METADATA_FILE)
        with tf.io.gfile.GFile(metadata_file, "w") as handle:
            handle.write(_metadata_json(info))
        # An asset is copied into the module's assets/ directory.
        module.metadata_file = tf.saved_model.Asset(metadata_file)
        saved = os.path.join(workspace, "module")
        tf.saved_model.save(module, saved, signatures=signatures)
        _move_into_place(saved, path)
    finally:
        if tf.io.gfile.exists(workspace):
            tf.io.gfile.rmtree(workspace)


def _prepare_target(path):
    """`path` as a string, after cleaning up earlier exports to it that were killed midway.

    Refuses to overwrite anything but an earlier module: nothing a run wrote is lost.
    """
    path = os.fspath(path).rstrip("/")
    _remove_leftovers(path)
    if tf.io.gfile.exists(path) and not tf.saved_model.contains_saved_model(path):
        raise ValueError(
            f"{path} exists and is not a SavedModel, so export will not replace it; remove it "
            "or export to another path."
        )
    return path


def _remove_leftovers(path):
    """Killed exports' workspaces go; a module one had moved aside returns to a free `path`."""
    for workspace in tf.io.gfile.glob(f"{_sibling(path, _WORKSPACE_MARK)}*"):
        tf.io.gfile.rmtree(workspace)
    for replaced in tf.io.gfile.glob(f"{_sibling(path, _REPLACED_MARK)}*"):
        if tf.saved_model.contains_saved_model(path):
            tf.io.gfile.rmtree(replaced)
            continue
        if tf.io.gfile.glob(path):  # a copy into place that stopped midway (not local disks)
            tf.io.gfile.rmtree(path)
        move_directory(replaced, path)


def _sibling(path, mark):
    """The prefix of the hidden folders next to `path`: "<folder>/.<name><mark>"."""
    directory, slash, name = path.rpartition("/")
    return f"{directory}{slash}.{name}{mark}"


def _move_into_place(saved, path):
    # _prepare_target left a module at `path` or nothing.
    if not tf.saved_model.contains_saved_model(path):
        move_directory(saved, path)
        return
    replaced = f"{_sibling(path, _REPLACED_MARK)}{uuid.uuid4().hex}"
    move_directory(path, replaced)
    move_directory(saved, path)
    tf.io.gfile.rmtree(replaced)
