"""The shipped digits generator: its interface, its stated FID, and class-faithful samples."""

import json
import pathlib
import re

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from compare_gan_tf.metrics.digits_classifier import digits_classifier
from compare_gan_tf.pretrained import DIGITS_GENERATOR

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def module():
    return hub.load(DIGITS_GENERATOR)


def test_the_module_describes_itself(module):
    assert int(module.z_dim.numpy()) == 128
    assert int(module.num_classes.numpy()) == 10
    assert int(module.resolution.numpy()) == 32
    assert module.dataset.numpy().decode() == "digits"
    metadata = json.loads(module.metadata.numpy())
    assert metadata["score_settings"]["extractor"] == "digits_classifier"
    assert "sndcgan_generator.ch = 32" in metadata["gin_config"]


def test_readme_states_the_modules_digits_fid(module):
    fid = json.loads(module.metadata.numpy())["scores"]["fid"]
    stated = re.search(r"digits FID ([0-9.]+) \(3 draws", README.read_text()).group(1)
    assert stated == f"{fid:.1f}"


def test_samples_are_the_digits_they_were_asked_for(module):
    """The shipped classifier recognises most class-conditional samples as their class."""
    labels = tf.range(500) % 10
    images = module(tf.random.stateless_normal([500, 128], [5, 6]), labels)["generated"]
    logits = digits_classifier()(images.numpy())["logits"]
    accuracy = np.mean(np.argmax(logits, axis=1) == labels.numpy())
    assert accuracy > 0.9, accuracy


def test_sampling_without_truncation_takes_an_infinite_threshold(module):
    images = module.sample(16, float("inf"), 0)["generated"].numpy()
    assert np.isfinite(images).all() and images.std() > 0.1
