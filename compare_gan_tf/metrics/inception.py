"""TF-GAN's Inception network (the 2015-12-05 graph) as a feature extractor.

Published FID and IS numbers (improved-gan, TTUR, TF-GAN, compare_gan) come from the
2015-12-05 Inception graph: 2048-d pool_3 features, 1008 logits, 299x299 inputs resized from
[0, 255] images and scaled by (x - 128) / 128 (TF-GAN `preprocess_image`). It is loaded from a
file the user downloaded (on the local disk, gs:// or any TensorFlow filesystem), in one of
TF-GAN's two distributions:
- the frozen GraphDef `inceptionv1_for_inception_score.pb` (the name says v1; the network is
  the 2015 Inception v3), or the tarball that holds it, imported into a TF2 concrete function;
- TF-GAN's TF-Hub module tensorflow/tfgan/eval/inception/1 (a SavedModel directory, or a hub
  handle through tensorflow_hub, which reads the user's hub cache).

keras.applications.InceptionV3 is a different network (2016 weights, 1000 classes): it is
offered only as a non-comparable extractor (keras_extractors.py).
"""

import hashlib
import os
import tarfile

import gin
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
from absl import logging
from google.protobuf.message import DecodeError

from compare_gan_tf.metrics._common import check_positive_int, file_sha256
from compare_gan_tf.metrics.features import (
    FeatureExtractor,
    check_images,
    flatten_features,
    pick_output,
)
from compare_gan_tf.metrics.resizing import check_method, resize_images, to_rgb
from compare_gan_tf.paths import is_url, open_file

# Where TF-GAN and compare_gan get the network (tensorflow/gan classifier_metrics.py,
# inception_metrics.py; compare_gan eval_utils.py).
INCEPTION_URL = "http://download.tensorflow.org/models/frozen_inception_v1_2015_12_05.tar.gz"
INCEPTION_FROZEN_GRAPH = "inceptionv1_for_inception_score.pb"
INCEPTION_TFHUB = "https://tfhub.dev/tensorflow/tfgan/eval/inception/1"
# Tensor names in the frozen graph (tensorflow/gan classifier_metrics.py INCEPTION_INPUT,
# INCEPTION_FINAL_POOL, INCEPTION_OUTPUT); the hub module returns a dict with the bare names.
GRAPH_INPUT = "Mul:0"
GRAPH_FEATURES = "pool_3:0"
GRAPH_LOGITS = "logits:0"
HUB_FEATURES = "pool_3"
HUB_LOGITS = "logits"
INCEPTION_SIZE = 299
FEATURE_DIM = 2048
NUM_LOGITS = 1008

# SHA-256 of network files whose scores match published ones, keyed by file name (or hub
# handle). No published SHA-256 for these files was found (TF-GAN and compare_gan download
# without a checksum), so the table is empty and every file's digest is recorded unverified.
KNOWN_SHA256 = {}

_WHERE_TO_GET_IT = (
    f"download {INCEPTION_URL} (it holds {INCEPTION_FROZEN_GRAPH}) or the TF-Hub module "
    f"{INCEPTION_TFHUB}, then pass its path (local or gs://) as inception_extractor(path=...) or "
    "bind gin `inception.path = '...'`."
)


def path_sha256(path):
    """Hex SHA-256 of a file, or of a directory: over its sorted relative paths and file digests."""
    path = os.fspath(path)
    if not tf.io.gfile.isdir(path):
        return file_sha256(path)
    digest = hashlib.sha256()
    # Sorted by path components, as pathlib sorts, so digests recorded earlier still match.
    for relative in sorted(_files_under(path), key=lambda relative: relative.split("/")):
        digest.update(relative.encode() + b"\0")
        digest.update(bytes.fromhex(file_sha256(f"{path.rstrip('/')}/{relative}")))
    return digest.hexdigest()


def _files_under(root):
    """Paths ("a/b.pb") of the files under the folder `root`, relative to it."""
    for directory, _, names in tf.io.gfile.walk(root):
        folder = directory[len(root) :].strip("/")
        yield from (f"{folder}/{name}" if folder else name for name in names)


def verify_sha256(name, digest):
    """True if `name` has a known digest equal to `digest`; raises if it differs.

    Unknown files are allowed, with a warning: their scores are not verified comparable.
    """
    expected = KNOWN_SHA256.get(name)
    if expected is None:
        logging.warning(
            "No known SHA-256 for the Inception network %r (computed %s): its scores are not "
            "verified comparable with published ones.",
            name,
            digest,
        )
        return False
    if expected != digest:
        raise ValueError(
            f"The Inception network file {name!r} has SHA-256 {digest}, but the published file "
            f"has {expected}; the file is corrupt or a different network. Download it again: "
            + _WHERE_TO_GET_IT
        )
    return True


def _is_tarball(path):
    return path.endswith((".tar.gz", ".tgz", ".tar"))


def _read_graph_def(path):
    """The GraphDef in a .pb file, or in INCEPTION_FROZEN_GRAPH inside TF-GAN's tarball."""
    if _is_tarball(path):
        with open_file(path) as file, tarfile.open(fileobj=file) as tar:
            try:
                serialized = tar.extractfile(INCEPTION_FROZEN_GRAPH).read()
            except KeyError:
                raise ValueError(
                    f"{path} holds no {INCEPTION_FROZEN_GRAPH}; pass TF-GAN's tarball "
                    f"{INCEPTION_URL}, the .pb file itself, or the unpacked directory of a hub "
                    "module tarball."
                ) from None
    else:
        with open_file(path) as file:
            serialized = file.read()
    # TF2 exports the GraphDef protocol buffer class only under tf.compat.v1 (no session here).
    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(serialized)
    except DecodeError as error:
        raise ValueError(
            f"{path} is not a frozen GraphDef ({error}); pass {INCEPTION_FROZEN_GRAPH} or the "
            "directory of a SavedModel."
        ) from None
    return graph_def


def _graph_network(graph_def, name):
    """A TF2 function images [-1, 1] -> (pool_3, logits) importing the frozen graph once."""

    def import_inception(images):
        # TF-GAN run_inception maps its [-1, 1] input onto "Mul:0", where the 2015 graph's own
        # single-JPEG preprocessing ended.
        return tf.graph_util.import_graph_def(
            graph_def,
            input_map={GRAPH_INPUT: images},
            return_elements=[GRAPH_FEATURES, GRAPH_LOGITS],
            name="inception",
        )

    signature = tf.TensorSpec([None, INCEPTION_SIZE, INCEPTION_SIZE, 3], tf.float32)
    try:
        return tf.compat.v1.wrap_function(import_inception, [signature])
    except (ValueError, KeyError) as error:
        raise ValueError(
            f"{name} lacks the Inception tensors {GRAPH_INPUT}, {GRAPH_FEATURES}, {GRAPH_LOGITS} "
            f"({error}); it is not TF-GAN's frozen Inception graph. " + _WHERE_TO_GET_IT
        ) from None


def load_hub_function(handle):
    """Loads a SavedModel or TF-Hub module; returns a function images -> its outputs.

    A module saved with a `__call__` is called directly (TF-GAN calls its hub module so);
    otherwise its "default" signature is called with the images as its one input.
    """
    if not is_url(handle) and not tf.saved_model.contains_saved_model(os.fspath(handle)):
        raise FileNotFoundError(
            f"{handle} is not a SavedModel directory (no saved_model.pb); pass the directory "
            "the module was saved or unpacked to, or a hub handle URL."
        )
    loaded = hub.load(str(handle))
    if callable(loaded):
        return loaded
    signatures = getattr(loaded, "signatures", {})
    if "default" not in signatures:
        raise ValueError(
            f"{handle} has neither a __call__ function nor a 'default' signature; export it "
            "with a tf.function __call__ or signatures={'default': ...}."
        )
    signature = signatures["default"]
    input_names = list(signature.structured_input_signature[1])
    if len(input_names) != 1:
        raise ValueError(
            f"The 'default' signature of {handle} takes inputs {input_names}; an image model "
            "takes exactly one (the images)."
        )
    return lambda images: signature(**{input_names[0]: images})


class InceptionExtractor(FeatureExtractor):
    """TF-GAN's Inception (2015-12-05): 2048-d pool_3 features and 1008 logits.

    Args:
      path: a frozen GraphDef .pb (or TF-GAN's tarball holding it), a SavedModel directory
        (e.g. the downloaded hub module tensorflow/tfgan/eval/inception/1), on the local disk or
        any TensorFlow filesystem (gs://...), or an http(s) hub handle that tensorflow_hub
        resolves (from its cache; an uncached URL is downloaded).
      resize: "legacy" (TF1 bilinear, as compare_gan / TF-GAN) or "clean" (clean-fid).
      batch_size: images resized and run at a time, which bounds memory.
    """

    name = "tfgan_inception_2015_12_05"

    def __init__(self, path, resize="legacy", batch_size=64):
        if path is None or not str(path):
            raise ValueError("No Inception network given: " + _WHERE_TO_GET_IT)
        self.resize = check_method(resize)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.source = str(path)
        if is_url(path):
            logging.info("Resolving hub handle %s (tensorflow_hub reads its cache).", path)
            location, self.source_name = hub.resolve(str(path)), str(path)
        else:
            location = os.path.expanduser(os.fspath(path))
            if not tf.io.gfile.exists(location):
                raise FileNotFoundError(f"No Inception network at {path}: " + _WHERE_TO_GET_IT)
            self.source_name = os.path.basename(location.rstrip("/"))
        self.sha256 = path_sha256(location)
        self.sha256_verified = verify_sha256(self.source_name, self.sha256)
        if tf.io.gfile.isdir(location):
            self.format = "saved_model"
            self._run = self._hub_runner(load_hub_function(location))
        else:
            self.format = "frozen_graph"
            self._run = _graph_network(_read_graph_def(location), self.source)

    def _hub_runner(self, function):
        def run(images):
            outputs = function(images)
            return (
                pick_output(outputs, HUB_FEATURES, self.source),
                pick_output(outputs, HUB_LOGITS, self.source),
            )

        return run

    def __call__(self, images):
        images = to_rgb(check_images(images))
        features, logits = [], []
        for start in range(0, len(images), self.batch_size):
            batch = resize_images(
                images[start : start + self.batch_size], INCEPTION_SIZE, self.resize
            )
            # TF-GAN preprocess_image on [0, 255] values: (x - 128) / 128.
            batch = (batch * 255.0 - 128.0) / 128.0
            batch_features, batch_logits = self._run(tf.constant(batch, tf.float32))
            features.append(flatten_features(batch_features))
            logits.append(flatten_features(batch_logits))
        features, logits = np.concatenate(features), np.concatenate(logits)
        if features.shape[1] != FEATURE_DIM or logits.shape[1] != NUM_LOGITS:
            raise ValueError(
                f"{self.source} gives {features.shape[1]}-d pool_3 and {logits.shape[1]} logits, "
                f"not {FEATURE_DIM} and {NUM_LOGITS}: it is not TF-GAN's Inception. "
                + _WHERE_TO_GET_IT
            )
        return {"features": features, "logits": logits}

    def describe(self):
        return {
            "extractor": self.name,
            "comparable": self.comparable,
            "network": self.source_name,
            "network_format": self.format,
            "network_sha256": self.sha256,
            "network_sha256_verified": self.sha256_verified,
            "input_size": INCEPTION_SIZE,
            "input_scaling": "255 x -> (x - 128) / 128 (TF-GAN preprocess_image)",
            "resize": self.resize,
            "feature_layer": HUB_FEATURES,
            "feature_dim": FEATURE_DIM,
        }


@gin.configurable("inception")
def inception_extractor(path=None, resize="legacy", batch_size=64):
    """TF-GAN's Inception from `path` (gin: `inception.path`); see InceptionExtractor."""
    return InceptionExtractor(path, resize=resize, batch_size=batch_size)
