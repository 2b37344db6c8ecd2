"""--gin_config on a TensorFlow filesystem (ram://, the stand-in for gs://) goes through the
command line's syntax check and parses as its local copy does; local files are checked without
TensorFlow."""

import os
import uuid

import gin
import pytest
import tensorflow as tf

from compare_gan_tf.commands import entry
from compare_gan_tf.schedules.names import SHIPPED_CONFIGS
from tests.commands.in_process import run_command
from tests.commands.test_entry import _lines, _run

with open(os.path.join(SHIPPED_CONFIGS, "gaussian_mixture_ring8.gin")) as _file:
    RING8 = _file.read()
# The shipped ring8 recipe, cut to two small steps with nothing scored.
TINY_RING8 = "\n".join(
    [
        RING8,
        "Experiment.batch_size = 64",
        "train.training_steps = 2",
        "train.steps_per_loop = 1",
        "train.save_checkpoints_steps = 1",
        "train.summary_steps = 1",
        "train.sample_steps = 0",
    ]
)
BAD_SYNTAX = "train.training_steps = 5\nExperiment.batch_size 8\n"


@pytest.fixture(autouse=True)
def _clean_gin():
    yield
    gin.clear_config()


def _ram(name):
    return f"ram://{uuid.uuid4().hex}/{name}"


def _write(path, text):
    with tf.io.gfile.GFile(path, "w") as file:
        file.write(text)
    return path


def _read(path):
    with tf.io.gfile.GFile(path) as file:
        return file.read()


def test_a_gin_config_on_ram_trains_as_its_local_copy(tmp_path, empty_cwd):
    local = tmp_path / "ring8.gin"
    local.write_text(TINY_RING8)
    remote = _write(_ram("configs/ring8.gin"), TINY_RING8)
    runs = {}
    for config in (str(local), remote):
        runs[config] = _ram("run")
        arguments = [f"--gin_config={config}", f"--model_dir={runs[config]}", "--schedule=train"]
        assert run_command(*arguments) == 0

    local_run, remote_run = runs[str(local)], runs[remote]
    assert _read(f"{remote_run}/config.gin") == _read(f"{local_run}/config.gin")
    assert "train.training_steps = 2" in _read(f"{remote_run}/config.gin")
    assert _read(f"{remote_run}/operative_config.gin") == _read(f"{local_run}/operative_config.gin")
    assert tf.train.latest_checkpoint(remote_run) == f"{remote_run}/ckpt-2"
    assert os.listdir(empty_cwd) == []


def test_bad_syntax_on_ram_is_named_as_in_a_local_file(tmp_path, capsys):
    local = tmp_path / "bad.gin"
    local.write_text(BAD_SYNTAX)
    remote = _write(_ram("bad.gin"), BAD_SYNTAX)
    messages = {}
    for config in (str(local), remote):
        assert run_command(f"--gin_config={config}", f"--model_dir={_ram('run')}") == 1
        messages[config] = capsys.readouterr().err
    assert messages[remote].startswith(f"Bad gin syntax in gin config {remote}, line 2: ")
    assert messages[remote].replace(remote, str(local)) == messages[str(local)]


def test_a_missing_gin_config_on_ram_is_named(capsys):
    missing = _ram("missing.gin")
    assert run_command(f"--gin_config={missing}", f"--model_dir={_ram('run')}") == 1
    assert capsys.readouterr().err.startswith(
        f"gin config {missing!r} is neither a file nor a shipped config"
    )


def test_a_local_gin_config_is_checked_before_tensorflow_loads(tmp_path):
    config = tmp_path / "bad.gin"
    config.write_text(BAD_SYNTAX)
    result = _run("compare_gan_tf.main", f"--model_dir={tmp_path}", f"--gin_config={config}")
    assert result.returncode == entry.USER_ERROR_STATUS
    assert _lines(result.stderr)[0].startswith(f"Bad gin syntax in gin config {config}, line 2")
    assert "tensorflow loaded: False" in result.stderr
