"""Trains the digits classifier that scores the embedded digits dataset, and ships its weights.

Trains compare_gan_tf.metrics.digits_classifier.build_digits_network on the "train" split
(1,500 images at 32 px, bilinear and nearest upsampling) with light augmentation (shifts of up to
4 px, rotations up to 15 degrees, zooms up to 15%) so that it generalises to generator outputs,
reports the accuracy on the held-out "eval" split (297 images, never trained on), and writes
digits_classifier.weights.h5 plus digits_classifier.json (accuracy, command, seed, SHA-256) into
--output_dir, by default the package's metrics/weights/. Training is deterministic: the default
command reproduces the shipped weights byte for byte.

Usage: python tools/train_digits_classifier.py [--epochs=30] [--seed=0] [--output_dir=DIR]
"""

import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from compare_gan_tf.data.digits import digits_arrays  # noqa: E402
from compare_gan_tf.files import write_file  # noqa: E402
from compare_gan_tf.metrics.digits_classifier import (  # noqa: E402
    FEATURE_DIM,
    INPUT_SIZE,
    WEIGHTS_PATH,
    build_digits_network,
    file_sha256,
    provenance_path,
)

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "output_dir", str(WEIGHTS_PATH.parent), "Where the weights and JSON go (local or gs://)."
)
flags.DEFINE_integer("epochs", 30, "Passes over the (doubled) training set.")
flags.DEFINE_integer("batch_size", 64, "Images per training step.")
flags.DEFINE_float("learning_rate", 1e-3, "Initial Adam learning rate (cosine-decayed to 0).")
flags.DEFINE_integer("seed", 0, "Seed for weights, shuffling and augmentation.")

# A 32 px digit is an 8 px one upsampled 4x: shifts of 4 px are one original pixel.
MAX_SHIFT_PIXELS = 4
MAX_ROTATION_DEGREES = 15
MAX_ZOOM = 0.15
BACKGROUND = -1.0


def training_arrays():
    """Train split at 32 px, once with each upsampling a digits GAN may be trained on."""
    bilinear, labels = digits_arrays("train", INPUT_SIZE, upsampling="bilinear")
    nearest, _ = digits_arrays("train", INPUT_SIZE, upsampling="nearest")
    return np.concatenate([bilinear, nearest]), np.concatenate([labels, labels])


def augmentation(seed):
    """Random shifts, rotations and zooms, active only in training; borders are background."""
    fill = {"fill_mode": "constant", "fill_value": BACKGROUND, "seed": seed}
    shift = MAX_SHIFT_PIXELS / INPUT_SIZE
    return keras.Sequential(
        [
            keras.layers.RandomTranslation(shift, shift, **fill),
            keras.layers.RandomRotation(MAX_ROTATION_DEGREES / 360.0, **fill),
            keras.layers.RandomZoom(MAX_ZOOM, MAX_ZOOM, **fill),
        ],
        name="augmentation",
    )


def accuracy(network, split, upsampling):
    images, labels = digits_arrays(split, INPUT_SIZE, upsampling=upsampling)
    logits = network.predict(images, batch_size=256, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train(epochs, batch_size, learning_rate, seed):
    """Returns the trained network (without the augmentation layers)."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    images, labels = training_arrays()
    network = build_digits_network()
    model = keras.Sequential([augmentation(seed), network])
    steps = epochs * math.ceil(len(images) / batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(learning_rate, steps)
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(images, labels, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=2)
    return network


def main(argv):
    del argv  # Flags only.
    started = time.time()
    network = train(FLAGS.epochs, FLAGS.batch_size, FLAGS.learning_rate, FLAGS.seed)
    tf.io.gfile.makedirs(FLAGS.output_dir)
    weights_path = os.path.join(FLAGS.output_dir, WEIGHTS_PATH.name)
    network.save_weights(weights_path)
    provenance = {
        "weights": WEIGHTS_PATH.name,
        "sha256": file_sha256(weights_path),
        "eval_accuracy": accuracy(network, "eval", "bilinear"),
        "eval_accuracy_nearest_upsampling": accuracy(network, "eval", "nearest"),
        "train_accuracy": accuracy(network, "train", "bilinear"),
        "eval_split": "digits[1500:] (297 images, held out)",
        "train_split": "digits[:1500]",
        "command": " ".join(["python", "tools/train_digits_classifier.py", *sys.argv[1:]]),
        "seed": FLAGS.seed,
        "epochs": FLAGS.epochs,
        "batch_size": FLAGS.batch_size,
        "learning_rate": FLAGS.learning_rate,
        "parameters": network.count_params(),
        "input": f"[{INPUT_SIZE}, {INPUT_SIZE}, 1] in [-1, 1]",
        "feature_dim": FEATURE_DIM,
        "training_seconds": round(time.time() - started, 1),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    write_file(provenance_path(weights_path), json.dumps(provenance, indent=2) + "\n")
    logging.info("Held-out eval accuracy %.4f; wrote %s", provenance["eval_accuracy"], weights_path)


if __name__ == "__main__":
    app.run(main)
