"""write_atomically: the whole new file or the untouched old one, on any TF filesystem."""

import os
import stat
import uuid

import pytest
import tensorflow as tf

from compare_gan_tf.files import (
    is_local,
    move_directory,
    parent,
    write_atomically,
    write_figure,
    write_file,
)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _failing_write(monkeypatch):
    """Makes every GFile write store its data and then raise, like a disk that fills up."""
    original = tf.io.gfile.GFile.write

    def write(self, data):
        original(self, data)
        raise OSError("disk full")

    monkeypatch.setattr(tf.io.gfile.GFile, "write", write)


def test_bytes_and_text_are_written(tmp_path):
    binary = tmp_path / "data.bin"
    assert write_atomically(binary, b"\x00\x01\xff") == binary
    assert binary.read_bytes() == b"\x00\x01\xff"
    text = tmp_path / "notes.txt"
    write_atomically(str(text), "héllo\nworld\n")
    assert text.read_text(encoding="utf-8") == "héllo\nworld\n"
    empty = tmp_path / "empty"
    write_atomically(empty, b"")
    assert empty.read_bytes() == b""
    assert sorted(os.listdir(tmp_path)) == ["data.bin", "empty", "notes.txt"]


def test_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_atomically("relative.txt", "here")
    assert (tmp_path / "relative.txt").read_text() == "here"
    assert os.listdir(tmp_path) == ["relative.txt"]


def test_permissions_are_the_usual_ones(tmp_path, umask_022):
    path = tmp_path / "results.jsonl"
    write_atomically(path, "{}\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    write_atomically(path, "{}\n{}\n")  # Replacing keeps them too.
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_overwrite_replaces_the_content(tmp_path):
    path = tmp_path / "grid.png"
    write_atomically(path, b"old")
    write_atomically(path, b"new and longer")
    assert path.read_bytes() == b"new and longer"
    assert os.listdir(tmp_path) == ["grid.png"]


def test_a_failed_write_leaves_no_temporary(tmp_path, monkeypatch):
    _failing_write(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(tmp_path / "new.txt", "data")
    assert os.listdir(tmp_path) == []


def test_a_failed_write_keeps_the_old_content(tmp_path, monkeypatch):
    path = tmp_path / "results.jsonl"
    write_atomically(path, '{"step": 1}\n')
    _failing_write(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, '{"step": 1}\n{"step": 2}\n')
    assert path.read_text() == '{"step": 1}\n'
    assert os.listdir(tmp_path) == ["results.jsonl"]


def test_a_failed_rename_keeps_the_old_content(tmp_path, monkeypatch):
    path = tmp_path / "curve.json"
    write_atomically(path, b"old")

    def crash(*args, **kwargs):
        raise tf.errors.PermissionDeniedError(None, None, "read-only")

    monkeypatch.setattr(tf.io.gfile, "rename", crash)
    with pytest.raises(PermissionError, match="curve.json.*read-only") as raised:
        write_atomically(path, b"new")
    assert isinstance(raised.value.__cause__, tf.errors.PermissionDeniedError)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["curve.json"]


def test_an_interrupt_also_removes_the_temporary(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tf.io.gfile, "rename", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "grid.png", b"png")
    assert os.listdir(tmp_path) == []


def test_a_missing_directory_raises_file_not_found(tmp_path):
    missing = tmp_path / "no_such_directory" / "grid.png"
    with pytest.raises(FileNotFoundError, match="no_such_directory"):
        write_atomically(missing, b"png")
    assert not missing.parent.exists()


def test_ram_filesystem():
    directory = f"ram://test_files_{uuid.uuid4().hex}"
    tf.io.gfile.makedirs(directory)
    path = f"{directory}/results.jsonl"
    write_atomically(path, "first\n")
    write_atomically(path, b"second\n")
    with tf.io.gfile.GFile(path, "rb") as file:
        assert file.read() == b"second\n"
    assert tf.io.gfile.listdir(directory) == ["results.jsonl"]


def test_ram_filesystem_failure_keeps_the_old_content(monkeypatch):
    directory = f"ram://test_files_{uuid.uuid4().hex}"
    tf.io.gfile.makedirs(directory)
    path = f"{directory}/grid.png"
    write_atomically(path, b"old")
    _failing_write(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, b"new")
    with tf.io.gfile.GFile(path, "rb") as file:
        assert file.read() == b"old"
    assert tf.io.gfile.listdir(directory) == ["grid.png"]


def test_parent_keeps_the_scheme_of_remote_paths():
    assert parent("gs://bucket/run/eval/results.jsonl") == "gs://bucket/run/eval"
    assert parent("ram://run") == "ram://"
    assert parent("runs/digits/config.gin") == "runs/digits"
    assert parent("config.gin") == ""
    assert is_local("runs/digits") and is_local("/tmp/x")
    assert not is_local("gs://bucket/run") and not is_local("ram://run")


def test_write_file_makes_the_folders_on_ram(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = f"ram://{uuid.uuid4().hex}"
    write_file(f"{root}/a/b/notes.txt", "text")
    write_file(f"{root}/top.bin", b"\x00")
    with tf.io.gfile.GFile(f"{root}/a/b/notes.txt") as file:
        assert file.read() == "text"
    assert sorted(tf.io.gfile.listdir(root)) == ["a", "top.bin"]
    assert os.listdir(tmp_path) == []


def test_write_figure_writes_the_png_bytes_savefig_gives(tmp_path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    local = tmp_path / "local.png"
    figure.savefig(local, format="png", dpi=50)
    remote = f"ram://{uuid.uuid4().hex}/plots/curve.png"
    assert write_figure(figure, remote, dpi=50) == remote
    with tf.io.gfile.GFile(remote, "rb") as file:
        assert file.read() == local.read_bytes()


@pytest.mark.parametrize("scheme", ["local", "ram"])
def test_move_directory_keeps_every_file(tmp_path, scheme):
    root = str(tmp_path) if scheme == "local" else f"ram://{uuid.uuid4().hex}"
    files = {"saved_model.pb": b"graph", "variables/variables.index": b"index", "assets/a": b"a"}
    for name, data in files.items():
        write_file(f"{root}/workspace/module/{name}", data)
    move_directory(f"{root}/workspace/module", f"{root}/module")
    for name, data in files.items():
        with tf.io.gfile.GFile(f"{root}/module/{name}", "rb") as file:
            assert file.read() == data
    assert tf.io.gfile.listdir(f"{root}/workspace") == []
