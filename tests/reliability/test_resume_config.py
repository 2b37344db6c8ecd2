"""Resuming a model_dir with another model or data stops before anything is built or written;
other differences (training steps, evaluation settings) are allowed."""

import subprocess

import gin
import pytest

from compare_gan_tf.schedules import run
from compare_gan_tf.schedules.resume_check import (
    ResumeMismatchError,
    check_resumable,
    differences,
    parse_bindings,
)
from tests.reliability.test_bad_config import _snapshot
from tests.test_main import TINY_BINDINGS, _command, _env


@pytest.fixture
def trained_dir(tmp_path):
    """A model_dir as a tiny run leaves it: config.gin and a checkpoint (stand-in files)."""
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    run.configure(["digits_sndcgan.gin"], TINY_BINDINGS)
    (model_dir / "config.gin").write_text(gin.config_str())
    (model_dir / "checkpoint").write_text('model_checkpoint_path: "ckpt-7"\n')
    (model_dir / "ckpt-7.index").write_bytes(b"\x00index\x01")
    (model_dir / "ckpt-7.data-00000-of-00001").write_bytes(b"\x00weights\x02")
    yield model_dir
    gin.clear_config()


def test_bindings_are_parsed_with_scopes_and_long_values():
    text = (
        "# Parameters for adam:\n# ===\nadam.beta1 = 0.5\ngenerator/adam.learning_rate = 0.1\n"
        "evaluator.metrics = \\\n    ('fid',\n     'kid')\n"
    )
    assert parse_bindings(text) == {
        "adam.beta1": "0.5",
        "generator/adam.learning_rate": "0.1",
        "evaluator.metrics": "\\ ('fid', 'kid')",
    }


def test_only_model_and_data_bindings_count():
    saved = {"Experiment.z_dim": "8", "train.training_steps": "5", "dcgan_generator.ch": "4"}
    new = {"Experiment.z_dim": "16", "train.training_steps": "9", "dataset.name": "'cifar10'"}
    assert differences(saved, new) == [
        ("Experiment.z_dim", "8", "16"),
        ("dataset.name", None, "'cifar10'"),
        ("dcgan_generator.ch", "4", None),
    ]


def test_harmless_differences_resume(trained_dir):
    run.configure(
        ["digits_sndcgan.gin"],
        [*TINY_BINDINGS, "train.training_steps = 99", "evaluator.num_samples = 50"],
    )
    check_resumable(str(trained_dir))  # no error


def test_a_model_dir_without_checkpoints_is_not_checked(tmp_path):
    (tmp_path / "config.gin").write_text("Experiment.z_dim = 3\n")
    run.configure(["digits_sndcgan.gin"], TINY_BINDINGS)
    check_resumable(str(tmp_path))  # nothing to resume: no error


@pytest.mark.parametrize(
    ("binding", "shown"),
    [
        ("Experiment.z_dim = 16", "Experiment.z_dim: 8 there, 16 here"),
        ("Experiment.conditional = False", "Experiment.conditional: True there, False here"),
        ("dcgan_generator.ch = 8", "dcgan_generator.ch: 4 there, 8 here"),
        ("dataset.resolution = 64", "dataset.resolution: 32 there, 64 here"),
    ],
)
def test_a_different_model_or_data_stops_before_anything_is_written(trained_dir, binding, shown):
    before = _snapshot(trained_dir)
    with pytest.raises(ResumeMismatchError) as raised:
        run.run(str(trained_dir), ["digits_sndcgan.gin"], [*TINY_BINDINGS, binding], ["train"])
    assert str(raised.value) == (
        f"{trained_dir} holds checkpoints of a run with another model or data "
        f"({trained_dir}/config.gin): {shown}. Its checkpoints cannot go on with this "
        f"configuration. Train in a new model_dir, or delete {trained_dir} to start afresh "
        "there, or rerun with the settings in its config.gin."
    )
    assert _snapshot(trained_dir) == before


def test_the_command_line_exits_1_with_the_message(trained_dir):
    before = _snapshot(trained_dir)
    result = subprocess.run(
        _command(trained_dir, "Experiment.z_dim = 16"),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 1
    assert "Experiment.z_dim: 8 there, 16 here" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(trained_dir) == before
