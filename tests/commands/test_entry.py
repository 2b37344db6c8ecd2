"""Every command's entry point: usage errors exit 2 in one line before TensorFlow loads, user
errors exit 1 without a traceback, a preemption exits 75, --debug shows the traceback, a bug
keeps it."""

import subprocess
import sys

import pytest
from absl import app, flags

from compare_gan_tf.commands import entry
from compare_gan_tf.errors import Preempted, UserError
from tests.test_main import _env

COMMANDS = {
    "compare_gan_tf": "compare_gan_tf.main",
    "compare_gan_tf-sample": "compare_gan_tf.commands.sample",
    "compare_gan_tf-study": "compare_gan_tf.commands.study",
    "compare_gan_tf-evaluate-hub": "compare_gan_tf.commands.evaluate_hub",
}
# Runs a command and then reports on stderr whether TensorFlow was ever imported.
_PROBE = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('tensorflow loaded:', 'tensorflow' in sys.modules, "
    "file=sys.stderr))\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)


def _run(module, *flags):
    command = [sys.executable, "-c", _PROBE, module, *flags]
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=120)


def _lines(stderr):
    return [line for line in stderr.splitlines() if not line.startswith("tensorflow loaded:")]


@pytest.mark.parametrize(
    "name, own_flag",
    [
        ("compare_gan_tf", "--model_dir: "),
        ("compare_gan_tf-sample", "--num_images: "),
        ("compare_gan_tf-study", "--study_dir: "),
        ("compare_gan_tf-evaluate-hub", "--module: "),
    ],
)
def test_help_shows_the_commands_docstring_and_own_flags_and_exits_0(name, own_flag):
    result = _run(COMMANDS[name], "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert own_flag in result.stdout
    assert "--[no]debug: Print the full traceback" in result.stdout
    assert result.stdout.startswith((name, "Command line of compare_gan_tf"))
    assert "tensorflow loaded: False" in result.stderr


@pytest.mark.parametrize(
    "name, flag, message",
    [
        ("compare_gan_tf", "--no_such_flag", "Unknown command line flag 'no_such_flag'"),
        ("compare_gan_tf", "--schedule=train,sideways", "Unknown schedule sideways; use a"),
        ("compare_gan_tf", "leftover", "Unexpected arguments: leftover; use --flag=value."),
        ("compare_gan_tf-sample", "--truncation=0", "--truncation must be a finite number > 0"),
        ("compare_gan_tf-sample", "--module=m", "--module needs --output_dir"),
        ("compare_gan_tf-study", "--trials=0", "flag --trials=0: 0 is not"),
        ("compare_gan_tf-evaluate-hub", "--truncation=-1", "--truncation must be a finite"),
    ],
)
def test_a_usage_error_is_one_line_with_status_2_before_tensorflow_loads(name, flag, message):
    result = _run(COMMANDS[name], flag)
    assert result.returncode == entry.USAGE_STATUS, result.stderr[-2000:]
    [line] = _lines(result.stderr)  # one line: no help dump, no traceback
    assert line.startswith(f"{name}: ") and line.endswith(f"(see {name} --help)")
    assert message in line
    assert "tensorflow loaded: False" in result.stderr


def test_a_gin_syntax_error_is_reported_before_tensorflow_loads(tmp_path):
    result = _run("compare_gan_tf.main", f"--model_dir={tmp_path}", "--gin_bindings=train.x 5")
    assert result.returncode == entry.USER_ERROR_STATUS
    assert _lines(result.stderr) == [
        "Bad gin syntax in --gin_bindings 'train.x 5', line 1: Couldn't parse statement, "
        "expected ':' or '='. A binding reads configurable.parameter = value, e.g. "
        "train.training_steps = 100."
    ]
    assert "tensorflow loaded: False" in result.stderr


def test_a_gin_syntax_error_in_a_file_names_the_file_and_line(tmp_path):
    config = tmp_path / "bad.gin"
    config.write_text("train.training_steps = 5\nExperiment.batch_size = (8,\n")
    result = _run("compare_gan_tf.main", f"--model_dir={tmp_path}", f"--gin_config={config}")
    assert result.returncode == entry.USER_ERROR_STATUS
    assert f"Bad gin syntax in gin config {config}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_a_user_error_exits_1_with_its_message_and_debug_adds_the_traceback(tmp_path, debug):
    flags = [f"--model_dir={tmp_path}", "--gin_config=missing.gin"] + (["--debug"] if debug else [])
    result = _run("compare_gan_tf.main", *flags)
    assert result.returncode == entry.USER_ERROR_STATUS
    lines = _lines(result.stderr)
    assert lines[-1].startswith("gin config 'missing.gin' is neither a file nor a shipped config")
    assert ("Traceback (most recent call last):" in result.stderr) == debug
    assert len(lines) > 1 if debug else len(lines) == 1


def test_debug_shows_the_traceback_of_a_usage_error():
    result = _run("compare_gan_tf.main", "--no_such_flag", "--debug")
    assert result.returncode == entry.USAGE_STATUS
    assert "UnrecognizedFlagError: Unknown command line flag 'no_such_flag'" in result.stderr


@pytest.fixture
def parsed_flags():
    flags.FLAGS(["command"])
    yield
    flags.FLAGS.unparse_flags()


def _exit_of(main, capsys):
    with pytest.raises(SystemExit) as exited:
        entry._guarded(main, "command")(["command"])
    return exited.value.code, capsys.readouterr()


def test_preempted_prints_its_message_and_exits_75(parsed_flags, capsys):
    def preempted(argv):
        raise Preempted(7, "runs/x")

    status, output = _exit_of(preempted, capsys)
    assert status == entry.PREEMPTED_STATUS == 75
    assert output.out == (
        "Preempted (SIGTERM) at step 7: saved checkpoint ckpt-7 in runs/x. Rerun the same "
        "command to resume from it.\n"
    )
    assert output.err == ""


def test_a_user_error_raised_in_main_is_its_message(parsed_flags, capsys):
    class RefusedError(UserError, ValueError):
        pass

    def refuse(argv):
        raise RefusedError("Setting x is wrong; set y.")

    assert _exit_of(refuse, capsys) == (1, ("", "Setting x is wrong; set y.\n"))


def test_a_usage_error_raised_in_main_is_one_line(parsed_flags, capsys):
    def misuse(argv):
        raise app.UsageError("Bad combination.")

    status, output = _exit_of(misuse, capsys)
    assert (status, output.err) == (2, "command: Bad combination. (see command --help)\n")


def test_a_bug_keeps_its_exception(parsed_flags):
    def bug(argv):
        raise KeyError("an internal error")

    with pytest.raises(KeyError, match="an internal error"):
        entry._guarded(bug, "command")(["command"])
