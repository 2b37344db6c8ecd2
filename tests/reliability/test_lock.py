"""model_dir's training lock: a second trainer stops at once, a stale lock is taken over."""

import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import tensorflow as tf
from absl import logging

from compare_gan_tf.errors import UserError
from compare_gan_tf.training import lock
from tests.reliability.test_bad_config import _snapshot
from tests.test_main import _command, _env

HOST = socket.gethostname()


def _write_lock(model_dir, host, pid, age=0.0):
    model_dir.mkdir(exist_ok=True)
    owner = {"host": host, "pid": pid, "token": "theirs", "heartbeat": time.time() - age}
    (model_dir / lock.LOCK_NAME).write_text(json.dumps(owner))


@pytest.fixture
def live_process():
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(logging, "warning", lambda message, *args: seen.append(message % args))
    return seen


def test_a_live_lock_stops_the_second_trainer_and_names_the_owner(tmp_path, live_process):
    model_dir = tmp_path / "run"
    _write_lock(model_dir, HOST, live_process.pid, age=5)
    before = _snapshot(model_dir)
    with pytest.raises(lock.ModelDirLockedError) as raised, lock.training_lock(str(model_dir)):
        pytest.fail("the lock was taken")
    message = str(raised.value)
    assert message.startswith(
        f"{model_dir} is being trained by process {live_process.pid} on host {HOST} (lock "
        f"{model_dir}/train.lock, heartbeat 5 s ago), so this run stopped before writing anything."
    )
    assert "train in another model_dir" in message
    assert isinstance(raised.value, UserError)
    assert _snapshot(model_dir) == before


def test_the_lock_records_the_owner_and_is_released(tmp_path):
    model_dir = tmp_path / "fresh"  # not yet there: the lock creates it
    with lock.training_lock(str(model_dir)):
        owner = json.loads((model_dir / lock.LOCK_NAME).read_text())
        assert (owner["host"], owner["pid"]) == (HOST, os.getpid())
        assert abs(owner["heartbeat"] - time.time()) < 5
        with lock.training_lock(str(model_dir)):  # the same process nests
            pass
        assert (model_dir / lock.LOCK_NAME).exists()
    assert not (model_dir / lock.LOCK_NAME).exists()


def test_the_lock_is_released_when_the_block_raises(tmp_path):
    with pytest.raises(KeyboardInterrupt), lock.training_lock(str(tmp_path)):
        raise KeyboardInterrupt
    assert not (tmp_path / lock.LOCK_NAME).exists()


def test_the_heartbeat_is_refreshed(tmp_path):
    with lock.training_lock(str(tmp_path), heartbeat_seconds=0.05):
        first = json.loads((tmp_path / lock.LOCK_NAME).read_text())["heartbeat"]
        time.sleep(0.5)
        later = json.loads((tmp_path / lock.LOCK_NAME).read_text())["heartbeat"]
    assert later > first


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path, dead_pid, warnings):
    _write_lock(tmp_path, HOST, dead_pid)
    with lock.training_lock(str(tmp_path)):
        assert json.loads((tmp_path / lock.LOCK_NAME).read_text())["token"] != "theirs"
    assert warnings == [
        f"Taking over the stale training lock {tmp_path}/train.lock of process {dead_pid} on "
        f"host {HOST}: process {dead_pid} is no longer running."
    ]


def test_another_hosts_lock_is_stale_only_without_a_recent_heartbeat(tmp_path, warnings):
    _write_lock(tmp_path, "elsewhere", 1, age=100)
    refused = pytest.raises(lock.ModelDirLockedError, match="by process 1 on host elsewhere")
    with refused, lock.training_lock(str(tmp_path), stale_seconds=200):
        pass
    with lock.training_lock(str(tmp_path), stale_seconds=50):
        pass
    assert warnings == [
        f"Taking over the stale training lock {tmp_path}/train.lock of process 1 on host "
        "elsewhere: its last heartbeat was 100 s ago (more than 50 s)."
    ]


def test_a_non_chief_worker_takes_no_lock(tmp_path, monkeypatch, live_process):
    _write_lock(tmp_path, HOST, live_process.pid)
    cluster = {"worker": ["a:1", "b:2"]}
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    )
    with lock.training_lock(str(tmp_path)):
        pass
    assert json.loads((tmp_path / lock.LOCK_NAME).read_text())["token"] == "theirs"


def _wait_for_checkpoint(process, model_dir):
    deadline = time.monotonic() + 240
    while tf.train.latest_checkpoint(str(model_dir)) is None:
        assert process.poll() is None, process.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "no checkpoint within 240 s"
        time.sleep(0.2)


@pytest.mark.slow
def test_two_trainers_on_the_command_line_then_a_killed_owner(tmp_path):
    """The second trainer exits 1 with the lock message and writes nothing; once the first is
    killed (SIGKILL leaves its lock), the next trainer takes the stale lock over."""
    first = subprocess.Popen(
        _command(tmp_path, "train.training_steps = 10000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        _wait_for_checkpoint(first, tmp_path)
        first.send_signal(signal.SIGSTOP)  # frozen, so model_dir holds still while we compare
        time.sleep(0.5)
        before = _snapshot(tmp_path)
        second = subprocess.run(
            _command(tmp_path, "train.training_steps = 2"),
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
        )
        assert second.returncode == 1, second.stderr[-3000:]
        assert f"{tmp_path} is being trained by process {first.pid} on host {HOST}" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
        assert _snapshot(tmp_path) == before
        first.kill()
        first.communicate()
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert (tmp_path / lock.LOCK_NAME).exists()
    steps = int(re.search(r"ckpt-(\d+)$", tf.train.latest_checkpoint(str(tmp_path))).group(1))
    third = subprocess.run(
        _command(tmp_path, f"train.training_steps = {steps + 1}"),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert third.returncode == 0, third.stderr[-3000:]
    assert f"process {first.pid} is no longer running" in third.stderr
    assert not (tmp_path / lock.LOCK_NAME).exists()
