"""The Inception loaders on small stand-in networks with the real tensor names, checked in numpy.

The stand-in reads a 5x5 grid of the 299x299 input (so resizing and scaling matter), maps it to
a 2048-d tanh "pool_3" ([batch, 1, 1, 2048], as in the frozen graph) and 1008 linear "logits".
It is saved as a frozen GraphDef, as TF-GAN's tarball, and as two SavedModels (callable, and
signature-only); every form must give the numpy outputs.
"""

import hashlib
import logging
import tarfile
import uuid

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.metrics import inception
from compare_gan_tf.metrics.inception import (
    INCEPTION_FROZEN_GRAPH,
    INCEPTION_TFHUB,
    INCEPTION_URL,
    InceptionExtractor,
    inception_extractor,
)
from compare_gan_tf.metrics.keras_extractors import KerasModelExtractor, keras_inception_v3
from compare_gan_tf.metrics.resizing import resize_images

SIZE = 299
GRID_STEP = 60  # rows and columns 0, 60, ..., 240: a 5 x 5 grid


def _weights():
    rng = np.random.default_rng(0)
    grid_to_pool = rng.normal(scale=0.2, size=(75, 2048)).astype(np.float32)
    pool_to_logits = rng.normal(scale=0.05, size=(2048, 1008)).astype(np.float32)
    return grid_to_pool, pool_to_logits


def _stand_in(inputs, grid_to_pool, pool_to_logits):
    """The stand-in network on inputs in [-1, 1]; returns (pool_3 [B,1,1,2048], logits)."""
    inputs = tf.multiply(inputs, 1.0, name="Mul")
    grid = tf.reshape(inputs[:, ::GRID_STEP, ::GRID_STEP, :], [-1, 75])
    pool = tf.reshape(tf.tanh(tf.matmul(grid, grid_to_pool)), [-1, 1, 1, 2048], name="pool_3")
    logits = tf.matmul(tf.reshape(pool, [-1, 2048]), pool_to_logits, name="logits")
    return pool, logits


def _numpy_stand_in(inputs):
    grid_to_pool, pool_to_logits = _weights()
    grid = inputs[:, ::GRID_STEP, ::GRID_STEP, :].reshape(len(inputs), 75).astype(np.float64)
    pool = np.tanh(grid @ grid_to_pool)
    return pool, pool @ pool_to_logits


def _reference(images_299):
    """Expected outputs for [0, 1] images already 299 x 299: TF-GAN's scaling, then the net."""
    return _numpy_stand_in((images_299.astype(np.float64) * 255.0 - 128.0) / 128.0)


_SPEC = tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32)


class _CallableModule(tf.Module):
    def __init__(self):
        super().__init__()
        self.weights = [tf.Variable(weight) for weight in _weights()]

    @tf.function(input_signature=[_SPEC])
    def __call__(self, images):
        pool, logits = _stand_in(images, *self.weights)
        return {"pool_3": pool, "logits": logits}


class _SignatureModule(_CallableModule):
    @tf.function(input_signature=[_SPEC])
    def run(self, images):
        pool, logits = _stand_in(images, *self.weights)
        return {"pool_3": pool, "logits": logits}


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    """Paths of the stand-in as frozen graph, tarball, callable and signature-only SavedModel."""
    root = tmp_path_factory.mktemp("inception")
    # numpy weights become Const nodes inside the function graph: a frozen graph.
    frozen = tf.function(lambda images: _stand_in(images, *_weights()))
    graph_def = frozen.get_concrete_function(_SPEC).graph.as_graph_def()
    graph_path = root / INCEPTION_FROZEN_GRAPH
    graph_path.write_bytes(graph_def.SerializeToString())
    tarball = root / "frozen_inception_v1_2015_12_05.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(graph_path, arcname=INCEPTION_FROZEN_GRAPH)
    callable_dir, signature_dir = root / "callable_module", root / "signature_module"
    tf.saved_model.save(_CallableModule(), str(callable_dir))
    module = _SignatureModule()
    tf.saved_model.save(module, str(signature_dir), signatures={"default": module.run})
    return {
        "graph": graph_path,
        "tarball": tarball,
        "callable": callable_dir,
        "signature": signature_dir,
    }


def _images(num, size=SIZE, channels=3, seed=0):
    return np.random.default_rng(seed).random((num, size, size, channels), dtype=np.float32)


@pytest.mark.parametrize("form", ["graph", "tarball", "callable", "signature"])
def test_every_network_form_matches_numpy(networks, form):
    images = _images(5)
    extractor = inception_extractor(path=str(networks[form]), batch_size=2)
    outputs = extractor(images)
    expected_features, expected_logits = _reference(images)
    assert outputs["features"].shape == (5, 2048) and outputs["logits"].shape == (5, 1008)
    np.testing.assert_allclose(outputs["features"], expected_features, atol=2e-5)
    np.testing.assert_allclose(outputs["logits"], expected_logits, atol=2e-4)


@pytest.mark.parametrize("form", ["graph", "tarball", "callable", "signature"])
def test_every_network_form_on_ram_gives_the_local_copys_features(networks, form, copy_to_ram):
    remote = copy_to_ram(networks[form])
    images = _images(3, seed=5)
    local_extractor = inception_extractor(path=str(networks[form]))
    remote_extractor = inception_extractor(path=remote)
    local_outputs, remote_outputs = local_extractor(images), remote_extractor(images)
    np.testing.assert_array_equal(remote_outputs["features"], local_outputs["features"])
    np.testing.assert_array_equal(remote_outputs["logits"], local_outputs["logits"])
    assert remote_extractor.describe() == local_extractor.describe()
    assert remote_extractor.describe()["network"] == networks[form].name


def test_missing_or_empty_ram_paths_are_named():
    missing = f"ram://{uuid.uuid4().hex}/inception.pb"
    with pytest.raises(FileNotFoundError, match=f"No Inception network at {missing}: "):
        inception_extractor(path=missing)
    empty = f"ram://{uuid.uuid4().hex}/module"
    tf.io.gfile.makedirs(empty)
    with pytest.raises(FileNotFoundError, match=f"{empty} is not a SavedModel directory"):
        inception_extractor(path=empty)


def test_describe_records_format_digest_and_resize(networks):
    extractor = InceptionExtractor(networks["graph"], resize="clean")
    description = extractor.describe()
    digest = hashlib.sha256(networks["graph"].read_bytes()).hexdigest()
    assert description["network"] == INCEPTION_FROZEN_GRAPH
    assert description["network_format"] == "frozen_graph"
    assert description["network_sha256"] == digest
    assert description["network_sha256_verified"] is False
    assert description["resize"] == "clean" and description["input_size"] == SIZE
    assert extractor.comparable
    assert InceptionExtractor(networks["callable"]).describe()["network_format"] == "saved_model"


@pytest.mark.parametrize("method", ["legacy", "clean"])
def test_small_grayscale_images_are_tiled_and_resized(networks, method):
    images = _images(3, size=32, channels=1, seed=1)
    outputs = inception_extractor(path=str(networks["graph"]), resize=method)(images)
    rgb = np.repeat(images, 3, axis=-1)
    expected_features, expected_logits = _reference(resize_images(rgb, SIZE, method))
    np.testing.assert_allclose(outputs["features"], expected_features, atol=2e-5)
    np.testing.assert_allclose(outputs["logits"], expected_logits, atol=2e-4)


def test_legacy_and_clean_resizing_give_different_features(networks):
    rows, columns = np.indices((64, 64))
    checkerboard = np.tile(((rows + columns) % 2).astype(np.float32)[None, ..., None], (2, 1, 1, 3))
    legacy = inception_extractor(path=str(networks["graph"]), resize="legacy")(checkerboard)
    clean = inception_extractor(path=str(networks["graph"]), resize="clean")(checkerboard)
    assert np.abs(legacy["features"] - clean["features"]).max() > 0.1


def test_gin_binding_inception_path(networks):
    with gin.unlock_config():
        gin.bind_parameter("inception.path", str(networks["graph"]))
    try:
        assert inception_extractor().describe()["network"] == INCEPTION_FROZEN_GRAPH
    finally:
        gin.clear_config()


def test_unknown_digest_logs_a_warning(networks, caplog):
    with caplog.at_level(logging.WARNING):
        InceptionExtractor(networks["graph"])
    assert "not verified comparable" in caplog.text


def test_known_digest_mismatch_names_file_and_both_digests(networks, monkeypatch):
    actual = hashlib.sha256(networks["graph"].read_bytes()).hexdigest()
    wrong = "0" * 64
    monkeypatch.setitem(inception.KNOWN_SHA256, INCEPTION_FROZEN_GRAPH, wrong)
    with pytest.raises(ValueError) as error:
        inception_extractor(path=str(networks["graph"]))
    message = str(error.value)
    assert INCEPTION_FROZEN_GRAPH in message and wrong in message and actual in message
    assert INCEPTION_URL in message


def test_known_digest_match_is_verified(networks, monkeypatch):
    actual = hashlib.sha256(networks["graph"].read_bytes()).hexdigest()
    monkeypatch.setitem(inception.KNOWN_SHA256, INCEPTION_FROZEN_GRAPH, actual)
    assert inception_extractor(path=str(networks["graph"])).describe()["network_sha256_verified"]


def test_missing_network_says_where_to_get_it(tmp_path):
    with pytest.raises(ValueError) as error:
        inception_extractor()
    for text in (INCEPTION_URL, INCEPTION_TFHUB, INCEPTION_FROZEN_GRAPH, "inception.path"):
        assert text in str(error.value)
    with pytest.raises(FileNotFoundError, match="inception.path"):
        inception_extractor(path=str(tmp_path / "absent.pb"))
    with pytest.raises(FileNotFoundError, match="not a SavedModel directory"):
        inception_extractor(path=str(tmp_path))


def test_other_graphs_and_corrupt_files_are_rejected(tmp_path):
    graph = tf.function(lambda x: tf.identity(x, name="output")).get_concrete_function(_SPEC)
    path = tmp_path / "other.pb"
    path.write_bytes(graph.graph.as_graph_def().SerializeToString())
    with pytest.raises(ValueError, match="Mul:0"):
        inception_extractor(path=str(path))
    corrupt = tmp_path / "corrupt.pb"
    corrupt.write_bytes(b"not a graph")
    with pytest.raises(ValueError, match="not a frozen GraphDef"):
        inception_extractor(path=str(corrupt))


def test_keras_inception_v3_is_flagged_not_comparable(tmp_path, monkeypatch):
    extractor = keras_inception_v3(weights=None, batch_size=1)
    assert extractor.comparable is False
    assert extractor.name == "keras_inception_v3 (not comparable to published FID)"
    outputs = extractor(_images(2, size=16, seed=2))
    assert outputs["features"].shape == (2, 2048) and outputs["logits"].shape == (2, 1000)
    assert np.isfinite(outputs["features"]).all()
    assert extractor.describe()["weights"] == "random"
    # "imagenet" means Keras' cached file; with an empty cache it is an error, not a download.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="keras_inception_v3.weights"):
        keras_inception_v3()


def test_keras_inception_v3_weights_on_ram_give_the_local_files_features(tmp_path, copy_to_ram):
    local = tmp_path / "inception_v3.weights.h5"
    keras.applications.InceptionV3(weights=None, classifier_activation=None).save_weights(local)
    remote = copy_to_ram(local)
    images = _images(2, size=16, seed=6)
    local_extractor = keras_inception_v3(weights=str(local), batch_size=2)
    remote_extractor = keras_inception_v3(weights=remote, batch_size=2)
    local_outputs, remote_outputs = local_extractor(images), remote_extractor(images)
    np.testing.assert_array_equal(remote_outputs["features"], local_outputs["features"])
    np.testing.assert_array_equal(remote_outputs["logits"], local_outputs["logits"])
    assert remote_extractor.describe() == local_extractor.describe()
    missing = f"ram://{uuid.uuid4().hex}/missing.h5"
    with pytest.raises(FileNotFoundError, match=f"No InceptionV3 weights file at {missing};"):
        keras_inception_v3(weights=missing)


def _small_keras_model():
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(keras.layers.Flatten()(inputs))
    outputs = keras.layers.Dense(3, name="out")(hidden)
    return keras.Model(inputs, outputs, name="small")


def test_keras_model_extractor_matches_numpy():
    model = _small_keras_model()
    extractor = KerasModelExtractor(
        model, features_layer="hidden", logits_layer="out", input_range=(-1.0, 1.0), batch_size=3
    )
    images = _images(7, size=16, channels=1, seed=3)
    outputs = extractor(images)
    (kernel1, bias1), (kernel2, bias2) = (
        model.get_layer(name).get_weights() for name in ("hidden", "out")
    )
    inputs = -1.0 + 2.0 * resize_images(images, 8, "legacy").reshape(7, 64)
    hidden = np.maximum(inputs @ kernel1 + bias1, 0.0)
    np.testing.assert_allclose(outputs["features"], hidden, atol=1e-5)
    np.testing.assert_allclose(outputs["logits"], hidden @ kernel2 + bias2, atol=1e-5)
    assert extractor.comparable is False and extractor.describe()["input_size"] == (8, 8)
    assert KerasModelExtractor(model)(images)["logits"] is None
    with pytest.raises(ValueError, match="no layer 'missing'"):
        KerasModelExtractor(model, features_layer="missing")


def test_keras_model_extractor_loads_a_saved_model_by_path(networks):
    extractor = KerasModelExtractor(
        str(networks["callable"]),
        features_layer="pool_3",
        logits_layer="logits",
        input_size=SIZE,
        input_range=(-1.0, 1.0),
    )
    images = _images(2, size=SIZE, seed=4)
    outputs = extractor(images)
    expected_features, expected_logits = _numpy_stand_in(-1.0 + 2.0 * images.astype(np.float64))
    np.testing.assert_allclose(outputs["features"], expected_features, atol=2e-5)
    np.testing.assert_allclose(outputs["logits"], expected_logits, atol=2e-4)
    with pytest.raises(ValueError, match="features_layer"):
        KerasModelExtractor(str(networks["callable"]))(images)
