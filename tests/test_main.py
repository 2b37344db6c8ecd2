"""The command line: a short run, bad input, and a killed run that resumes from its checkpoint."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf

TINY_BINDINGS = [
    "Experiment.architecture = 'dcgan'",
    "Experiment.batch_size = 8",
    "Experiment.z_dim = 8",
    "dcgan_generator.ch = 4",
    "dcgan_discriminator.ch = 4",
    "train.steps_per_loop = 1",
    "train.summary_steps = 1",
    "train.sample_steps = 1000",
    "train.singular_value_steps = 1000",
    "evaluator.num_samples = 100",
    "evaluator.num_draws = 1",
    "evaluator.metrics = ('fid', 'inception_score')",
]


def _main_command(model_dir, *flags):
    """The command line of `python -m compare_gan_tf.main` on model_dir with `flags`."""
    return [sys.executable, "-m", "compare_gan_tf.main", f"--model_dir={model_dir}", *flags]


def _command(model_dir, *bindings, schedule="train"):
    bindings = [f"--gin_bindings={b}" for b in TINY_BINDINGS + list(bindings)]
    return _main_command(model_dir, f"--schedule={schedule}", *bindings)


def _env():
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")


def _run(command):
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)


# What may reach the terminal of a default run: progress bars and the project's own lines.
_OWN_LINE = re.compile(
    r"^(train|score step \d+|export step \d+): |^Step \d+: |^Trained\. |^Exported |"
    r"^Strategy default with 1 replicas\.$|^Exporting step \d+, the best: |^\s*$|"
    # TINY_BINDINGS turn the default config's SNDCGAN into a DCGAN: its SNDCGAN options are unused.
    r"^Bindings of the config files that this run does not use: "
)


def test_the_default_schedule_trains_scores_and_exports_quietly(tmp_path):
    command = _command(tmp_path, "train.training_steps = 2")
    command.remove("--schedule=train")  # the default: train_and_eval, then export
    env = _env()
    del env["TF_CPP_MIN_LOG_LEVEL"]  # as a user has it
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")
    config = (tmp_path / "operative_config.gin").read_text()
    assert "dcgan_generator.ch = 4" in config
    rows = [json.loads(line) for line in (tmp_path / "eval" / "results.jsonl").open()]
    assert [row["step"] for row in rows] == [2]
    assert rows[0]["settings"]["extractor"] == "digits_classifier"
    scores = rows[0]["scores"]
    summary = (
        f"Trained. Step 2: FID {scores['fid']:.3g}, IS {scores['inception_score']:.3g}; "
        f"all scores in {tmp_path}/eval/results.jsonl"
    )
    assert summary in result.stdout.splitlines()
    assert (tmp_path / "hub" / "generator" / "saved_model.pb").exists()
    assert f"Exported the generator to {tmp_path}/hub/generator" in result.stdout
    assert result.stdout.splitlines()[-1] == summary.removeprefix("Trained. ")  # ends on scores
    terminal = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", result.stdout + result.stderr)  # tqdm's moves
    lines = re.split(r"[\r\n]", terminal)
    assert [line for line in lines if not _OWN_LINE.match(line)] == []


def test_later_schedules_reuse_the_runs_operative_config(tmp_path):
    """eval and truncation_curve without --gin_config read model_dir/operative_config.gin."""
    assert _run(_command(tmp_path, "train.training_steps = 1")).returncode == 0
    command = _main_command(
        tmp_path,
        "--schedule=eval,truncation_curve",
        "--gin_bindings=truncation_sweep.thresholds = (0.5, 1.0)",
    )
    result = _run(command)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "eval" / "results.jsonl").open()]
    assert [row["step"] for row in rows] == [1]
    assert rows[0]["settings"]["num_fake"] == 100  # the run's own evaluator settings
    assert (tmp_path / "eval" / "truncation_step_0000001.png").exists()


@pytest.mark.parametrize(
    "flag, message",
    [
        ("--gin_bindings=train.no_such_parameter = 1", "no_such_parameter"),
        ("--gin_bindings=no_such_configurable.x = 1", "no_such_configurable"),
        ("--gin_config=missing.gin", "neither a file nor a shipped config"),
        ("--schedule=train,sideways", "Unknown schedule sideways"),
    ],
)
def test_bad_flags_fail_with_one_clear_message_and_write_nothing(tmp_path, flag, message):
    model_dir = tmp_path / "run"
    command = _main_command(model_dir, flag)
    result = _run(command)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not model_dir.exists()


@pytest.mark.parametrize(
    "schedule, purpose", [("eval", "score"), ("export", "export"), ("truncation_curve", "score")]
)
def test_reading_a_model_dir_without_checkpoints_fails_with_one_message(
    tmp_path, schedule, purpose
):
    """A mistyped --model_dir: exit 1 naming the folder, before anything is written."""
    model_dir = tmp_path / "no_such_run"
    result = _run(_main_command(model_dir, f"--schedule={schedule}"))
    assert result.returncode == 1
    assert f"No checkpoint in {model_dir} to {purpose}; train first" in result.stderr
    assert "Traceback" not in result.stderr
    assert not model_dir.exists()


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    """SIGKILL after the first checkpoint; the rerun restores it and reaches the final step."""
    long_run = _command(
        tmp_path, "train.training_steps = 10000", "train.save_checkpoints_steps = 3"
    )
    process = subprocess.Popen(
        long_run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env()
    )
    deadline = time.monotonic() + 240
    try:
        while tf.train.latest_checkpoint(str(tmp_path)) is None:
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    saved = int(re.search(r"ckpt-(\d+)$", tf.train.latest_checkpoint(str(tmp_path))).group(1))
    assert saved >= 3 and saved % 3 == 0

    final = saved + 2
    result = _run(_command(tmp_path, f"train.training_steps = {final}"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Resumed from {tmp_path}/ckpt-{saved}" in result.stderr
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith(f"ckpt-{final}")


def test_every_schedule_name_has_a_runner():
    from compare_gan_tf.schedules import run

    assert set(run.SCHEDULES) == set(run._RUNNERS)


def test_ring8_through_the_command_line_runs_to_its_export(tmp_path):
    """The mixture config with the default schedule: train_and_eval, then export."""
    command = _main_command(
        tmp_path,
        "--gin_config=gaussian_mixture_ring8.gin",
        "--gin_bindings=train.training_steps = 4",
        "--gin_bindings=train.steps_per_loop = 2",
        "--gin_bindings=train.save_checkpoints_steps = 2",
        "--gin_bindings=Experiment.batch_size = 64",
        "--gin_bindings=evaluator.num_draws = 1",
    )
    result = _run(command)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"Step 4: modes [\d.]+, high-quality [\d.]+; all scores in ", result.stdout)
    assert f"Exported the generator to {tmp_path}/hub/generator" in result.stdout
    assert (tmp_path / "hub" / "generator" / "saved_model.pb").exists()
