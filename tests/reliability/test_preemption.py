"""SIGTERM (a preemption) during training: save, exit cleanly, resume on the next start."""

import os
import re
import signal
import subprocess
import time

import pytest
import tensorflow as tf

from compare_gan_tf.errors import Preempted
from compare_gan_tf.main import PREEMPTED_STATUS
from compare_gan_tf.training import loop
from compare_gan_tf.training.experiment import Experiment
from tests.test_main import _command, _env


def _newest_step(model_dir):
    return int(re.search(r"ckpt-(\d+)$", tf.train.latest_checkpoint(str(model_dir))).group(1))


def test_sigterm_saves_the_current_step_and_restores_the_handler(tiny_config, tmp_path):
    """SIGTERM during step 3 (checkpoints every 2 steps): ckpt-3 is saved, Preempted raised."""
    experiment = Experiment()
    train_steps = experiment.gan.train

    def train_then_sigterm_at_step_3(iterator, steps):
        metrics = train_steps(iterator, steps)
        if int(experiment.gan.step.numpy()) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return metrics

    experiment.gan.train = train_then_sigterm_at_step_3
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Preempted, match=r"at step 3: saved checkpoint ckpt-3 in .*Rerun"):
        loop.train(
            str(tmp_path), training_steps=100, save_checkpoints_steps=2, experiment=experiment
        )
    assert signal.getsignal(signal.SIGTERM) is before
    assert _newest_step(tmp_path) == 3


def test_the_cli_exits_on_sigterm_with_a_checkpoint_and_the_rerun_resumes(tmp_path):
    long_run = _command(
        tmp_path, "train.training_steps = 10000", "train.save_checkpoints_steps = 3"
    )
    process = subprocess.Popen(
        long_run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    try:
        deadline = time.monotonic() + 240
        while tf.train.latest_checkpoint(str(tmp_path)) is None:
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == PREEMPTED_STATUS, stderr[-3000:]
    stopped = int(re.search(r"Preempted \(SIGTERM\) at step (\d+)", stdout).group(1))
    assert stopped >= 3 and _newest_step(tmp_path) == stopped
    assert "Traceback" not in stderr

    final = stopped + 1
    result = subprocess.run(
        _command(tmp_path, f"train.training_steps = {final}"),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Resumed from {tmp_path}/ckpt-{stopped}" in result.stderr
    assert _newest_step(tmp_path) == final
