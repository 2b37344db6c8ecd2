"""The digits classifier: the feature extractor that scores the embedded digits dataset.

The analogue of TF-GAN's MNIST classifier for MNIST: a small CNN trained once on the "train"
split of scikit-learn's digits (at 32 px, values in [-1, 1]) by tools/train_digits_classifier.py
and shipped in metrics/weights/. Its features are the 64 ReLU activations of the penultimate
dense layer ("digits FID"); its 10 logits give a digits Inception Score.

The weights file's SHA-256 is checked against the provenance JSON written next to it by the
tool, so a score always names the exact network that produced it.
"""

import json
import os
import pathlib

import gin
import keras
import numpy as np
import tensorflow as tf

from compare_gan_tf.metrics._common import file_sha256
from compare_gan_tf.metrics.features import FeatureExtractor, check_images
from compare_gan_tf.paths import is_file, read_text

INPUT_SIZE = 32
NUM_CLASSES = 10
FEATURE_DIM = 64
FEATURE_LAYER = "features"
WEIGHTS_PATH = pathlib.Path(__file__).parent / "weights" / "digits_classifier.weights.h5"
WEIGHTS_SUFFIX = ".weights.h5"


def build_digits_network():
    """The classifier: 32x32x1 images in [-1, 1] -> 10 logits; layer "features" is 64-d ReLU.

    Three 3x3 conv + 2x2 max-pool stages (32, 64, 64 channels: 32 -> 16 -> 8 -> 4 px), then a
    64-unit dense layer (the features) and a linear 10-way output: 121,994 parameters.
    """
    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 1), name="images")
    x = inputs
    for index, channels in enumerate((32, 64, 64)):
        x = keras.layers.Conv2D(
            channels, 3, padding="same", activation="relu", name=f"conv{index + 1}"
        )(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{index + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    features = keras.layers.Dense(FEATURE_DIM, activation="relu", name=FEATURE_LAYER)(x)
    # Dropout regularises the 1,500-image training set; it is inactive when scoring.
    x = keras.layers.Dropout(0.3, name="dropout")(features)
    logits = keras.layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name="digits_classifier")


def provenance_path(weights_path):
    """The JSON next to a weights file: digits_classifier.weights.h5 -> digits_classifier.json
    (a str for a str, which may be a gs:// path; a pathlib.Path for a Path)."""
    json_path = os.fspath(weights_path).removesuffix(WEIGHTS_SUFFIX) + ".json"
    return json_path if isinstance(weights_path, str) else pathlib.Path(json_path)


def _read_provenance(weights_path):
    name = os.path.basename(weights_path)
    if not name.endswith(WEIGHTS_SUFFIX) or not is_file(weights_path):
        raise FileNotFoundError(
            f"Digits classifier weights {weights_path!r} not found (a *{WEIGHTS_SUFFIX} "
            "file is expected); pass weights_path=None for the shipped weights or train new ones "
            "with tools/train_digits_classifier.py."
        )
    json_path = provenance_path(weights_path)
    if not is_file(json_path):
        raise FileNotFoundError(
            f"Provenance file {json_path!r} for {name} not found; keep the JSON "
            "written by tools/train_digits_classifier.py next to its weights."
        )
    try:
        provenance = json.loads(read_text(json_path))
        recorded = provenance["sha256"]
    except (json.JSONDecodeError, KeyError):
        raise ValueError(
            f'Provenance file {json_path!r} is not the JSON (with a "sha256" entry) that '
            "tools/train_digits_classifier.py writes; restore it or retrain."
        ) from None
    actual = file_sha256(weights_path)
    if actual != recorded:
        raise ValueError(
            f"Digits classifier weights {weights_path!r} have SHA-256 {actual}, but "
            f"{os.path.basename(json_path)} records {recorded}: the file is corrupt or was "
            "replaced. Reinstall compare_gan_tf or retrain with tools/train_digits_classifier.py."
        )
    return provenance


def to_network_input(images):
    """[B, H, W, 1 or 3] in [0, 1] -> [B, 32, 32, 1] in [-1, 1], the range the network saw."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape[-1] == 3:
        # The digits are grey: an RGB image is scored by its channel mean.
        images = tf.reduce_mean(images, axis=-1, keepdims=True)
    if tuple(images.shape[1:3]) != (INPUT_SIZE, INPUT_SIZE):
        images = tf.image.resize(images, [INPUT_SIZE, INPUT_SIZE], "bilinear", antialias=True)
    return images * 2.0 - 1.0


class DigitsClassifier(FeatureExtractor):
    """Features [B, 64] (penultimate ReLU layer) and logits [B, 10] of the digits classifier.

    Args:
      weights_path: a *.weights.h5 file (local, gs://...) with its provenance JSON next to it;
        None for the weights shipped in compare_gan_tf/metrics/weights/.
      batch_size: images per forward pass, which bounds memory for large inputs.
    """

    name = "digits_classifier"
    comparable = True

    def __init__(self, weights_path=None, batch_size=256):
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
        self.weights_path = os.fspath(weights_path or WEIGHTS_PATH)
        self.batch_size = batch_size
        self.provenance = _read_provenance(self.weights_path)
        network = build_digits_network()
        network.load_weights(self.weights_path)
        self._network = keras.Model(
            network.inputs, [network.get_layer(FEATURE_LAYER).output, network.outputs[0]]
        )
        self._forward = tf.function(lambda images: self._network(images, training=False))

    def __call__(self, images):
        images = check_images(images)
        features, logits = [], []
        for start in range(0, len(images), self.batch_size):
            batch = to_network_input(images[start : start + self.batch_size])
            batch_features, batch_logits = self._forward(batch)
            features.append(batch_features.numpy())
            logits.append(batch_logits.numpy())
        return {"features": np.concatenate(features), "logits": np.concatenate(logits)}

    def describe(self):
        return {
            "extractor": self.name,
            "weights": os.path.basename(self.weights_path),
            "weights_sha256": self.provenance["sha256"],
            "eval_accuracy": self.provenance.get("eval_accuracy"),
            "input_size": INPUT_SIZE,
            "resize": "tf.image.resize bilinear, antialias=True; RGB -> channel mean",
            "feature_layer": FEATURE_LAYER,
            "feature_dim": FEATURE_DIM,
        }


@gin.configurable("digits_classifier")
def digits_classifier(weights_path=None):
    """The digits extractor with the shipped weights, or those at `weights_path`."""
    return DigitsClassifier(weights_path)
