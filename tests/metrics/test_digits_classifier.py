"""The shipped digits classifier: accuracy, provenance check, shapes, and the scores it gives."""

import json
import pathlib
import shutil
import subprocess
import sys
import uuid

import numpy as np
import pytest

from compare_gan_tf.data.digits import digits_arrays
from compare_gan_tf.metrics import fid_from_features, inception_score_from_logits
from compare_gan_tf.metrics.digits_classifier import (
    FEATURE_DIM,
    WEIGHTS_PATH,
    DigitsClassifier,
    digits_classifier,
    file_sha256,
    provenance_path,
)

REPO = pathlib.Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "train_digits_classifier.py"


def _unit(images):
    """Dataset images in [-1, 1] -> the extractor's [0, 1]."""
    return (images + 1.0) / 2.0


@pytest.fixture(scope="module")
def classifier():
    return DigitsClassifier()


@pytest.fixture(scope="module")
def eval_outputs(classifier):
    images, labels = digits_arrays("eval")
    return classifier(_unit(images)), labels


@pytest.fixture(scope="module")
def train_features(classifier):
    return classifier(_unit(digits_arrays("train")[0]))["features"]


def _accuracy(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def test_shipped_weights_reach_97_percent_on_held_out_digits(eval_outputs):
    outputs, labels = eval_outputs
    # Shipped weights: 291 of 297 held-out digits correct (97.98%).
    assert _accuracy(outputs["logits"], labels) >= 0.97


def test_provenance_json_matches_shipped_weights(classifier, eval_outputs):
    provenance = json.loads(provenance_path(WEIGHTS_PATH).read_text())
    assert provenance["sha256"] == file_sha256(WEIGHTS_PATH)
    assert provenance["eval_accuracy"] == pytest.approx(
        _accuracy(eval_outputs[0]["logits"], eval_outputs[1])
    )
    assert classifier.describe()["weights_sha256"] == provenance["sha256"]
    assert WEIGHTS_PATH.stat().st_size < 1_000_000


def test_corrupted_weights_are_rejected(tmp_path):
    copy = tmp_path / WEIGHTS_PATH.name
    shutil.copy(provenance_path(WEIGHTS_PATH), provenance_path(copy))
    data = bytearray(WEIGHTS_PATH.read_bytes())
    data[-100] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256.*corrupt"):
        DigitsClassifier(copy)
    provenance_path(copy).write_text("{}")
    with pytest.raises(ValueError, match="sha256"):
        DigitsClassifier(copy)


def test_missing_weights_or_provenance_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.weights.h5"):
        digits_classifier(tmp_path / "missing.weights.h5")
    copy = tmp_path / WEIGHTS_PATH.name
    shutil.copy(WEIGHTS_PATH, copy)
    with pytest.raises(FileNotFoundError, match="digits_classifier.json"):
        digits_classifier(copy)


def test_weights_on_ram_give_the_shipped_outputs(eval_outputs, classifier, copy_to_ram):
    weights = f"{copy_to_ram(WEIGHTS_PATH.parent)}/{WEIGHTS_PATH.name}"
    remote = digits_classifier(weights)
    outputs = remote(_unit(digits_arrays("eval")[0]))
    np.testing.assert_array_equal(outputs["features"], eval_outputs[0]["features"])
    np.testing.assert_array_equal(outputs["logits"], eval_outputs[0]["logits"])
    assert remote.describe() == classifier.describe()
    missing = f"ram://{uuid.uuid4().hex}/{WEIGHTS_PATH.name}"
    with pytest.raises(FileNotFoundError, match=f"weights '{missing}' not found"):
        digits_classifier(missing)


def test_feature_and_logit_shapes(eval_outputs, classifier):
    outputs, labels = eval_outputs
    assert outputs["features"].shape == (len(labels), FEATURE_DIM) == (297, 64)
    assert outputs["logits"].shape == (297, 10)
    assert outputs["features"].dtype == outputs["logits"].dtype == np.float32
    # Penultimate ReLU layer.
    assert outputs["features"].min() >= 0.0
    assert classifier.name == "digits_classifier" and classifier.comparable


def test_small_batches_give_the_same_outputs(eval_outputs):
    outputs, _ = eval_outputs
    small_batches = DigitsClassifier(batch_size=7)(_unit(digits_arrays("eval")[0][:30]))
    np.testing.assert_allclose(small_batches["logits"], outputs["logits"][:30], atol=1e-4)
    np.testing.assert_allclose(small_batches["features"], outputs["features"][:30], atol=1e-4)


def test_fid_of_held_out_digits_is_far_below_that_of_noise(eval_outputs, train_features):
    """Measured with the shipped weights: eval vs train 20.6, uniform noise vs train 567."""
    noise = np.random.default_rng(0).uniform(size=(297, 32, 32, 1)).astype(np.float32)
    noise_features = DigitsClassifier()(noise)["features"]
    real_fid = fid_from_features(train_features, eval_outputs[0]["features"])
    noise_fid = fid_from_features(train_features, noise_features)
    assert noise_fid > 10 * real_fid


@pytest.mark.parametrize("resolution", [8, 16, 64])
def test_other_resolutions_are_resized_and_still_classified(classifier, eval_outputs, resolution):
    images, labels = digits_arrays("eval", resolution)
    outputs = classifier(_unit(images))
    assert outputs["features"].shape == (297, FEATURE_DIM)
    assert _accuracy(outputs["logits"], labels) >= 0.97
    if resolution == 8:
        # Upsampling 8 -> 32 px is the same bilinear resize the dataset itself applies.
        np.testing.assert_allclose(outputs["logits"], eval_outputs[0]["logits"], atol=1e-4)


def test_rgb_images_are_scored_by_their_channel_mean(classifier, eval_outputs):
    grey = _unit(digits_arrays("eval")[0])
    tinted = np.concatenate([grey * 0.5, grey, grey * 1.5], axis=-1).clip(0.0, 1.0)
    np.testing.assert_allclose(
        classifier(np.repeat(grey, 3, axis=-1))["logits"], eval_outputs[0]["logits"], atol=1e-4
    )
    np.testing.assert_allclose(
        classifier(tinted)["logits"],
        classifier(tinted.mean(axis=-1, keepdims=True))["logits"],
        atol=1e-4,
    )


def test_inception_score_is_near_10_for_digits_and_1_for_one_repeated_digit(
    classifier, eval_outputs
):
    # Measured: 9.48 on the 297 eval digits (one split), 1.00 for one digit repeated.
    real_score = inception_score_from_logits(eval_outputs[0]["logits"], splits=1)
    one_digit = np.repeat(_unit(digits_arrays("eval")[0][:1]), 100, axis=0)
    repeated_score = inception_score_from_logits(classifier(one_digit)["logits"], splits=1)
    assert real_score.mean > 9.0
    assert repeated_score.mean == pytest.approx(1.0, abs=0.05)


def test_tool_trains_one_epoch_into_a_loadable_directory(tmp_path):
    subprocess.run(
        [sys.executable, str(TOOL), "--epochs=1", f"--output_dir={tmp_path}"],
        check=True,
        capture_output=True,
    )
    weights = tmp_path / WEIGHTS_PATH.name
    provenance = json.loads(provenance_path(weights).read_text())
    assert provenance["sha256"] == file_sha256(weights)
    assert provenance["epochs"] == 1 and provenance["seed"] == 0
    assert "--epochs=1" in provenance["command"]
    images, labels = digits_arrays("eval")
    logits = DigitsClassifier(weights)(_unit(images))["logits"]
    assert _accuracy(logits, labels) == pytest.approx(provenance["eval_accuracy"])


@pytest.mark.slow
def test_default_command_reproduces_the_shipped_weights_bit_for_bit(tmp_path):
    """Training is deterministic (seeded, op determinism on): same bytes, same SHA-256."""
    subprocess.run(
        [sys.executable, str(TOOL), f"--output_dir={tmp_path}"], check=True, capture_output=True
    )
    shipped = json.loads(provenance_path(WEIGHTS_PATH).read_text())
    assert file_sha256(tmp_path / WEIGHTS_PATH.name) == shipped["sha256"]
