"""Splits the CPU into 4 logical devices (before TF starts) so tests can run MirroredStrategy."""

import os
import uuid

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from tests.training.tiny_run import TINY_RUN  # noqa: E402

NUM_LOGICAL_CPUS = 4

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(NUM_LOGICAL_CPUS)]
)


@pytest.fixture(scope="session")
def mirrored_strategy():
    """MirroredStrategy over the 4 logical CPU devices.

    One per process: separate strategies over the same devices reuse collective instance keys,
    and their all-reduces then fail with "Shape mismatch in the collective instance".
    """
    devices = [f"/cpu:{i}" for i in range(NUM_LOGICAL_CPUS)]
    return tf.distribute.MirroredStrategy(devices)


@pytest.fixture
def clean_gin():
    """gin holds nothing before the test and nothing after it."""
    gin.clear_config()
    yield
    gin.clear_config()


@pytest.fixture
def eagerly():
    """tf.functions run eagerly: tracing a model costs 15-60 s on 2 cores, a few eager steps
    cost less."""
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)


@pytest.fixture
def tiny_config():
    """gin holds the tiny dcgan run of tests/training/tiny_run.py, and nothing after the test."""
    gin.clear_config()
    gin.parse_config(TINY_RUN)
    yield
    gin.clear_config()


@pytest.fixture
def quiet_tiny_config(tiny_config):
    """tiny_config without sample grids or singular-value summaries (faster steps)."""
    gin.bind_parameter("train.sample_steps", 0)
    gin.bind_parameter("train.singular_value_steps", 0)


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    """An empty working directory; a path mistaken for a local one would land in it."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def _copy_to_ram(local):
    target = f"ram://{uuid.uuid4().hex}/{os.path.basename(local)}"
    if not tf.io.gfile.isdir(local):
        tf.io.gfile.copy(local, target)
        return target
    for directory, _, names in tf.io.gfile.walk(local):
        copied = target + directory[len(local) :]
        tf.io.gfile.makedirs(copied)
        for name in names:
            tf.io.gfile.copy(os.path.join(directory, name), f"{copied}/{name}")
    return target


@pytest.fixture
def copy_to_ram():
    """A function: a local file or folder -> the path of its copy on ram:// (TensorFlow's
    in-memory filesystem, the stand-in for gs://), under a new root."""
    return lambda local: _copy_to_ram(str(local))
