"""The command's entry point turns the errors a user can cause into one message (exit 1)."""

import pytest
from absl import flags

from compare_gan_tf import main as cli
from compare_gan_tf.commands import entry
from compare_gan_tf.schedules import run
from compare_gan_tf.training import faults


@pytest.fixture
def parsed_flags(tmp_path):
    flags.FLAGS(["compare_gan_tf", f"--model_dir={tmp_path}"])
    yield tmp_path
    flags.FLAGS.unparse_flags()


def _command():
    return entry._guarded(cli.main, "compare_gan_tf")


def test_a_non_finite_stop_is_one_message_not_a_traceback(parsed_flags, monkeypatch, capsys):
    def diverge(*args, **kwargs):
        raise faults.non_finite_error(["d_loss"], 3, str(parsed_flags))

    monkeypatch.setattr(run, "run", diverge)
    with pytest.raises(SystemExit) as exited:
        _command()(["compare_gan_tf"])
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("Non-finite d_loss at step 3; no checkpoint was")
    assert 'train.on_non_finite = "rollback"' in error
    assert "Traceback" not in error


def test_a_bug_keeps_its_traceback(parsed_flags, monkeypatch):
    def bug(*args, **kwargs):
        raise KeyError("an internal error")

    monkeypatch.setattr(run, "run", bug)
    with pytest.raises(KeyError, match="an internal error"):
        _command()(["compare_gan_tf"])


def test_an_unnamed_memory_model_dir_is_a_usage_error(capsys):
    """--model_dir=ram:// names no folder: exit 2 before anything runs (issue: it said "Cannot
    write ram:/train.lock")."""
    flags.FLAGS(["compare_gan_tf", "--model_dir=ram://"])
    try:
        with pytest.raises(SystemExit) as exited:
            _command()(["compare_gan_tf"])
    finally:
        flags.FLAGS.unparse_flags()
    assert exited.value.code == 2
    assert "--model_dir=ram:// names no folder; name one, e.g. --model_dir=ram://run" in (
        capsys.readouterr().err
    )


def test_a_memory_model_dir_warns_that_nothing_outlives_the_process(monkeypatch, capsys):
    monkeypatch.setattr(run, "run", lambda *args, **kwargs: [])
    flags.FLAGS(["compare_gan_tf", "--model_dir=ram://warned", "--schedule=export"])
    try:
        assert _command()(["compare_gan_tf"]) == 0
    finally:
        flags.FLAGS.unparse_flags()
    assert "--model_dir=ram://warned is in memory: nothing written there" in (
        capsys.readouterr().err
    )
