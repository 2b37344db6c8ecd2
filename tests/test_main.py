"""The command line: a short run, bad input, and a killed run that resumes from its checkpoint."""

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
]


def _command(model_dir, *bindings):
    command = [sys.executable, "-m", "compare_gan_tf.main", f"--model_dir={model_dir}"]
    return command + [f"--gin_bindings={b}" for b in TINY_BINDINGS + list(bindings)]


def _env():
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")


def _run(command):
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)


def test_a_short_run_writes_its_model_dir(tmp_path):
    result = _run(_command(tmp_path, "train.training_steps = 2"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")
    config = (tmp_path / "operative_config.gin").read_text()
    assert "dcgan_generator.ch = 4" in config
    assert f"in {tmp_path}" in result.stdout


@pytest.mark.parametrize(
    "flag, message",
    [
        ("--gin_bindings=train.no_such_parameter = 1", "no_such_parameter"),
        ("--gin_bindings=no_such_configurable.x = 1", "no_such_configurable"),
        ("--gin_config=missing.gin", "neither a file nor a shipped config"),
        ("--schedule=sideways", "sideways"),
    ],
)
def test_bad_flags_fail_with_one_clear_message_and_write_nothing(tmp_path, flag, message):
    model_dir = tmp_path / "run"
    command = [sys.executable, "-m", "compare_gan_tf.main", f"--model_dir={model_dir}", flag]
    result = _run(command)
    assert result.returncode != 0
    assert message in result.stderr
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
