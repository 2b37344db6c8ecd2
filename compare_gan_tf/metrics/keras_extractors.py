"""Any Keras model, SavedModel or hub handle as a feature extractor, and keras.applications'
InceptionV3 through it: neither is the network of published scores (`comparable` is False).
"""

import contextlib
import os
import tempfile

import gin
import keras
import numpy as np
import tensorflow as tf

from compare_gan_tf.metrics._common import check_positive_int, file_sha256
from compare_gan_tf.metrics.features import (
    FeatureExtractor,
    check_images,
    flatten_features,
    pick_output,
)
from compare_gan_tf.metrics.inception import INCEPTION_SIZE, load_hub_function
from compare_gan_tf.metrics.resizing import check_method, resize_images, size_pair, to_rgb
from compare_gan_tf.paths import is_file, is_local


class KerasModelExtractor(FeatureExtractor):
    """Any Keras model, SavedModel or hub handle as a feature extractor (not comparable).

    Args:
      model: a keras.Model, or a SavedModel path / hub handle (loaded with tensorflow_hub).
      features_layer: Keras layer name, or output key of a module returning a dict, whose
        output (flattened) is the features; None: the model's output.
      logits_layer: the same for logits (for the Inception Score); None: no logits.
      input_size: (height, width) or int the images are resized to; None: the Keras model's
        input size, or no resize when that is unknown.
      input_range: (low, high) the [0, 1] images are mapped to linearly.
      resize: "legacy" or "clean" (see resizing.py).
      batch_size: images run at a time.
    """

    name = "keras_model"
    comparable = False

    def __init__(
        self,
        model,
        features_layer=None,
        logits_layer=None,
        input_size=None,
        input_range=(0.0, 1.0),
        resize="legacy",
        batch_size=64,
    ):
        self.features_layer = features_layer
        self.logits_layer = logits_layer
        self.input_range = tuple(float(value) for value in input_range)
        self.resize = check_method(resize)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.input_channels = None
        if isinstance(model, keras.Model):
            self.model_name = model.name
            self._network = self._keras_network(model)
            input_shape = tuple(model.inputs[0].shape)
            self.input_channels = input_shape[-1]
            if input_size is None and None not in input_shape[1:3]:
                input_size = input_shape[1:3]
        elif isinstance(model, str | os.PathLike):
            self.model_name = str(model)
            self._network = load_hub_function(model)
        else:
            raise TypeError(
                f"model must be a keras.Model or a SavedModel path / hub handle, got "
                f"{type(model).__name__}."
            )
        self.input_size = None if input_size is None else size_pair(input_size)

    def _keras_network(self, model):
        """A Keras model returning {"features": ..., "logits": ...} from the named layers."""

        def layer_output(layer_name):
            if layer_name is None:
                return model.outputs[0]
            try:
                return model.get_layer(layer_name).output
            except ValueError:
                names = [layer.name for layer in model.layers]
                raise ValueError(
                    f"Model {model.name!r} has no layer {layer_name!r}; its layers are {names}."
                ) from None

        outputs = {"features": layer_output(self.features_layer)}
        if self.logits_layer is not None:
            outputs["logits"] = layer_output(self.logits_layer)
        return keras.Model(model.inputs, outputs, name=f"{model.name}_features")

    def _outputs(self, images):
        """(features, logits or None) of one batch."""
        if isinstance(self._network, keras.Model):
            outputs = self._network(images, training=False)
            return outputs["features"], outputs.get("logits")
        outputs = self._network(images)
        if not isinstance(outputs, dict):
            if self.features_layer is not None or self.logits_layer is not None:
                raise ValueError(
                    f"{self.model_name} returns one tensor, not a dict; leave features_layer "
                    "and logits_layer unset."
                )
            return outputs, None
        if self.features_layer is None and len(outputs) != 1:
            raise ValueError(
                f"{self.model_name} returns outputs {sorted(outputs)}; name the features with "
                "features_layer=..."
            )
        features_key = self.features_layer or next(iter(outputs))
        features = pick_output(outputs, features_key, self.model_name)
        if self.logits_layer is None:
            return features, None
        return features, pick_output(outputs, self.logits_layer, self.model_name)

    def _prepare(self, images):
        if self.input_channels != 1:
            images = to_rgb(images)
        elif images.shape[-1] != 1:
            raise ValueError(f"{self.model_name} takes 1-channel images; got {images.shape[-1]}.")
        if self.input_size is not None:
            images = resize_images(images, self.input_size, self.resize)
        low, high = self.input_range
        return tf.constant(low + (high - low) * images, tf.float32)

    def __call__(self, images):
        images = check_images(images)
        features, logits = [], []
        for start in range(0, len(images), self.batch_size):
            batch_features, batch_logits = self._outputs(
                self._prepare(images[start : start + self.batch_size])
            )
            features.append(flatten_features(batch_features))
            if batch_logits is not None:
                logits.append(flatten_features(batch_logits))
        return {
            "features": np.concatenate(features),
            "logits": np.concatenate(logits) if logits else None,
        }

    def describe(self):
        return {
            "extractor": self.name,
            "comparable": self.comparable,
            "model": self.model_name,
            "features_layer": self.features_layer,
            "logits_layer": self.logits_layer,
            "input_size": self.input_size,
            "input_range": list(self.input_range),
            "resize": self.resize,
        }


# Keras' own file name and URL for InceptionV3 ImageNet weights (keras.applications.inception_v3).
KERAS_INCEPTION_WEIGHTS = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
KERAS_INCEPTION_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    + KERAS_INCEPTION_WEIGHTS
)


class KerasInceptionV3Extractor(KerasModelExtractor):
    """keras.applications.InceptionV3: avg_pool (2048-d) features, 1000 logits, inputs [-1, 1].

    Not the network of published FIDs (different weights and classes): `comparable` is False.

    Args:
      weights: a weights file (local, gs://...), or None for random weights (tests only).
    """

    name = "keras_inception_v3 (not comparable to published FID)"
    comparable = False

    def __init__(self, weights=None, resize="legacy", batch_size=64):
        if weights is not None and not is_file(weights):
            raise FileNotFoundError(
                f"No InceptionV3 weights file at {weights}; download {KERAS_INCEPTION_URL} and "
                "pass its path as keras_inception_v3(weights=...) or bind gin "
                "`keras_inception_v3.weights = '...'`."
            )
        with _on_local_disk(weights) as local_weights:
            model = keras.applications.InceptionV3(
                weights=local_weights, classifier_activation=None
            )
        super().__init__(
            model,
            features_layer="avg_pool",
            logits_layer="predictions",
            input_size=INCEPTION_SIZE,
            # keras.applications.inception_v3.preprocess_input maps [0, 255] to [-1, 1].
            input_range=(-1.0, 1.0),
            resize=resize,
            batch_size=batch_size,
        )
        self.weights = weights
        self.weights_sha256 = None if weights is None else file_sha256(weights)

    def describe(self):
        return {
            **super().describe(),
            "weights": "random" if self.weights is None else os.path.basename(self.weights),
            "weights_sha256": self.weights_sha256,
        }


@contextlib.contextmanager
def _on_local_disk(path):
    """`path`, or a temporary local copy of it when it is on gs:// or ram://: h5py, which
    reads Keras' .h5 weights, opens local files only."""
    if path is None or is_local(path):
        yield path
        return
    with tempfile.TemporaryDirectory() as directory:
        copy = os.path.join(directory, os.path.basename(path))
        tf.io.gfile.copy(path, copy)
        yield copy


def _keras_cached_weights():
    """Where keras.utils.get_file keeps the InceptionV3 weights (no download here)."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(keras_home, "models", KERAS_INCEPTION_WEIGHTS)


@gin.configurable("keras_inception_v3")
def keras_inception_v3(weights="imagenet", resize="legacy", batch_size=64):
    """keras.applications.InceptionV3 (not comparable to published FID).

    `weights`: a file (local, gs://...); "imagenet" uses Keras' cached file (never downloaded here);
    None gives random weights, for tests.
    """
    if weights == "imagenet":
        weights = _keras_cached_weights()
    return KerasInceptionV3Extractor(weights, resize=resize, batch_size=batch_size)
