"""paths: one reading of a user's file on the local disk and on TensorFlow's ram:// filesystem."""

import errno
import uuid

import pytest
import tensorflow as tf

from compare_gan_tf.paths import is_file, is_local, is_url, open_file, read_text

TEXT = "train.training_steps = 5\n# ünïcode survives\n"


@pytest.fixture
def same_file(tmp_path):
    """The same UTF-8 text as a local file and as a ram:// file."""
    local = tmp_path / "a.gin"
    local.write_text(TEXT, encoding="utf-8")
    remote = f"ram://{uuid.uuid4().hex}/configs/a.gin"
    tf.io.gfile.makedirs(remote.rpartition("/")[0])
    with tf.io.gfile.GFile(remote, "w") as file:
        file.write(TEXT)
    return str(local), remote


def test_a_ram_file_reads_as_its_local_copy(same_file):
    local, remote = same_file
    assert read_text(remote) == read_text(local) == TEXT
    with open_file(remote) as remote_file, open_file(local) as local_file:
        assert remote_file.read() == local_file.read() == TEXT.encode("utf-8")
    assert is_file(remote) and is_file(local)
    assert not is_file(remote.rpartition("/")[0]) and not is_file(local.rpartition("/")[0])


def test_a_missing_ram_file_is_the_error_open_gives(tmp_path):
    missing = f"ram://{uuid.uuid4().hex}/missing.toml"
    with pytest.raises(FileNotFoundError) as remote:
        read_text(missing)
    with pytest.raises(FileNotFoundError) as local:
        read_text(tmp_path / "missing.toml")
    assert remote.value.filename == missing
    assert remote.value.errno == local.value.errno == errno.ENOENT
    assert remote.value.strerror == local.value.strerror == "No such file or directory"
    assert not is_file(missing)


def test_schemes():
    assert is_local("runs/x") and is_local("/tmp/x")
    assert not is_local("gs://bucket/x") and not is_local("ram://x")
    assert is_url("https://tfhub.dev/tensorflow/tfgan/eval/inception/1")
    assert not is_url("gs://bucket/inception") and not is_url("ram://inception")
