"""Ctrl-C (SIGINT) during training behaves like SIGTERM: the loop ends, a checkpoint is saved,
the command exits with the preemption status; a second Ctrl-C stops at once."""

import os
import re
import signal
import subprocess
import time

import pytest

from compare_gan_tf.errors import Preempted
from compare_gan_tf.main import PREEMPTED_STATUS
from compare_gan_tf.training import faults, loop
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.lock import LOCK_NAME
from tests.reliability.test_preemption import _newest_step
from tests.test_main import _command, _env


def test_sigint_saves_the_current_step_and_restores_the_handler(tiny_config, tmp_path):
    experiment = Experiment()
    train_steps = experiment.gan.train

    def train_then_sigint_at_step_3(iterator, steps):
        metrics = train_steps(iterator, steps)
        if int(experiment.gan.step.numpy()) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return metrics

    experiment.gan.train = train_then_sigint_at_step_3
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(Preempted, match=r"^Preempted \(SIGINT\) at step 3: saved") as raised:
        loop.train(
            str(tmp_path), training_steps=100, save_checkpoints_steps=2, experiment=experiment
        )
    assert raised.value.signal_name == "SIGINT"
    assert signal.getsignal(signal.SIGINT) is before
    assert _newest_step(tmp_path) == 3
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_second_sigint_stops_at_once():
    with faults.stop_requested_by(signal.SIGTERM, signal.SIGINT) as requested:
        os.kill(os.getpid(), signal.SIGINT)
        assert requested.is_set() and requested.signal_name == "SIGINT"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs at the next bytecode boundary


@pytest.mark.slow
def test_the_cli_exits_75_on_ctrl_c_with_a_checkpoint(tmp_path):
    process = subprocess.Popen(
        _command(tmp_path, "train.training_steps = 10000", "train.save_checkpoints_steps = 1000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        deadline = time.monotonic() + 240
        # The first loop's summaries mark a running loop (checkpoints come only every 1000).
        while not (tmp_path / "train").is_dir():
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "training did not start within 240 s"
            time.sleep(0.2)
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == PREEMPTED_STATUS, stderr[-3000:]
    stopped = int(re.search(r"Preempted \(SIG\w+\) at step (\d+)", stdout).group(1))
    assert _newest_step(tmp_path) == stopped
    assert "SIGINT received: stopping after the current loop with a checkpoint" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert not (tmp_path / LOCK_NAME).exists()
