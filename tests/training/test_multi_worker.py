"""Two worker processes on 127.0.0.1 train under MultiWorkerMirroredStrategy and stay in sync.

Each worker runs multi_worker_task.py in a fresh process (not this one, whose CPU is split into
4 logical devices by conftest.py), so the cluster is 2 workers x 1 CPU replica.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.main import PREEMPTED_STATUS
from tests.reliability.test_preemption import _newest_step

REPO = Path(__file__).resolve().parents[2]
TASK = Path(__file__).with_name("multi_worker_task.py")
STEPS = 3
# Importing TF takes ~10 s a process and tracing the distributed train step ~40 s, more on a
# loaded machine; the limit leaves room for that.
TIMEOUT_SECONDS = 300


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tail(path, lines=40):
    text = path.read_text(errors="replace").replace("\r", "\n")
    return "\n".join(text.splitlines()[-lines:])


def _status(code):
    return "still running, killed" if code is None else f"exit code {code}"


def _start_workers(model_dir, outputs, logs, steps=STEPS, extra_env=None):
    """Starts one process per output; extra_env[i] adds variables to worker i's environment."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(len(outputs))]
    processes = []
    for index, (output, log) in enumerate(zip(outputs, logs)):
        env = dict(
            os.environ,
            **(extra_env[index] if extra_env else {}),
            TF_CONFIG=json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            ),
            TF_CPP_MIN_LOG_LEVEL="2",
            CUDA_VISIBLE_DEVICES="",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        )
        with open(log, "w") as stderr:
            processes.append(
                subprocess.Popen(
                    [sys.executable, str(TASK), str(model_dir), str(output), str(steps)],
                    cwd=REPO,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            )
    return processes


def _stop_all(processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def _run_workers(model_dir, outputs, logs, steps=STEPS):
    processes = _start_workers(model_dir, outputs, logs, steps)
    # Wait for both; if one fails, the other would wait for it until the timeout, so stop it.
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        codes = [process.poll() for process in processes]
        while None in codes and not any(codes) and time.monotonic() < deadline:
            time.sleep(0.5)
            codes = [process.poll() for process in processes]
    finally:
        _stop_all(processes)
    if None in codes or any(codes):
        what = "failed" if any(codes) else f"did not finish within {TIMEOUT_SECONDS} s"
        stderrs = "\n".join(
            f"--- worker {i} ({_status(code)}) stderr ---\n{_tail(log)}"
            for i, (code, log) in enumerate(zip(codes, logs))
        )
        pytest.fail(f"The workers {what}.\n{stderrs}")


def test_two_workers_train_to_identical_weights(tmp_path):
    model_dir = tmp_path / "model"
    outputs = [tmp_path / f"worker{i}.npz" for i in range(2)]
    logs = [tmp_path / f"worker{i}.stderr" for i in range(2)]

    _run_workers(model_dir, outputs, logs)  # fails the test unless both exit with 0

    first, second = (dict(np.load(path)) for path in outputs)
    assert int(first["replicas"]) == int(second["replicas"]) == 2
    assert int(first["step"]) == int(second["step"]) == STEPS
    assert first.keys() == second.keys()
    groups = {key.split("/")[1] for key in first if key.startswith("final/")}
    assert groups == {"generator", "discriminator", "ema_generator", "g_optimizer", "d_optimizer"}

    # Bitwise equal: both workers apply the same all-reduced gradients to the same variables
    # (the initial values are broadcast from worker 0, although each worker seeds itself
    # differently), with the same ops on the same kind of CPU, so no tolerance is needed.
    for key in sorted(first):
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)

    # Training moved G, D, the EMA generator and both optimizers' moments.
    for group in groups:
        keys = [k for k in first if k.startswith(f"final/{group}/")]
        changed = [k for k in keys if not np.array_equal(first[k], first["initial" + k[5:]])]
        assert changed, f"no {group} variable changed in {STEPS} steps"

    # Only the chief wrote model_dir; worker 1's scratch checkpoints were removed.
    names = set(os.listdir(model_dir))
    assert f"ckpt-{STEPS}.index" in names
    assert tf.train.latest_checkpoint(str(model_dir)) == str(model_dir / f"ckpt-{STEPS}")
    assert not [name for name in names if name.startswith(".scratch")], names
    assert [p for p in tmp_path.rglob("samples") if p.is_dir()] == [model_dir / "samples"]
    assert set(os.listdir(model_dir / "samples")) == {"latest.png", f"step_{STEPS:07d}.png"}


# TF 2.21's coordination service reports a peer without heartbeats after about 20 s; the bound
# leaves room for a loaded machine.
LOST_WORKER_SECONDS = 120


def _wait_for(condition, processes, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            return
        time.sleep(0.5)


def _start_and_wait_for_a_checkpoint(model_dir, outputs, logs):
    processes = _start_workers(model_dir, outputs, logs, steps=1000)
    first_checkpoint = model_dir / "ckpt-1.index"
    _wait_for(first_checkpoint.exists, processes, TIMEOUT_SECONDS)
    assert first_checkpoint.exists(), f"no checkpoint:\n{_tail(logs[0])}\n{_tail(logs[1])}"
    return processes


def _assert_both_resume(model_dir, outputs, logs, last_step):
    """A rerun of both workers to one more step resumes from ckpt-<last_step>."""
    saved = model_dir / f"ckpt-{last_step}.index"
    saved_mtime = saved.stat().st_mtime_ns
    _run_workers(model_dir, outputs, logs, steps=last_step + 1)
    assert int(np.load(outputs[0])["step"]) == last_step + 1
    assert tf.train.latest_checkpoint(str(model_dir)) == str(model_dir / f"ckpt-{last_step + 1}")
    # Resumed, not restarted: the checkpoint of the stopped run was not written again.
    assert saved.stat().st_mtime_ns == saved_mtime


# Slow: about 5 minutes each on 2 loaded cores (two cluster start-ups and a lost worker).
@pytest.mark.slow
@pytest.mark.parametrize("killed", [1, 0], ids=["worker", "chief"])
def test_a_killed_worker_stops_the_other_with_a_clear_error_and_both_resume(tmp_path, killed):
    """Worker 0 is the chief: it writes model_dir and hosts the coordination service."""
    model_dir = tmp_path / "model"
    outputs = [tmp_path / f"worker{i}.npz" for i in range(2)]
    logs = [tmp_path / f"worker{i}.stderr" for i in range(2)]
    survivor = 1 - killed
    processes = _start_and_wait_for_a_checkpoint(model_dir, outputs, logs)
    try:
        processes[killed].kill()
        killed_at = time.monotonic()
        processes[survivor].wait(timeout=LOST_WORKER_SECONDS)
        stopped_after = time.monotonic() - killed_at
    finally:
        _stop_all(processes)
    assert processes[survivor].returncode != 0
    assert stopped_after < LOST_WORKER_SECONDS
    # Missed heartbeats, or (the chief hosts the coordination service) a reset connection.
    message = re.search(
        rf"WorkerLostError: worker {killed} (stopped responding \(no heartbeats\)|became "
        rf"unreachable) after step (\d+); restart all workers to resume from the last "
        rf"checkpoint in {re.escape(str(model_dir))}\.",
        _tail(logs[survivor]),
    )
    assert message, _tail(logs[survivor])
    # The survivor names the last step it finished: the last checkpoint's, or one more when
    # the chief died before writing it.
    last_step = _newest_step(model_dir)
    assert last_step <= int(message.group(2)) <= last_step + 1
    _assert_both_resume(model_dir, outputs, logs, last_step)


@pytest.mark.slow  # about 4 minutes on 2 loaded cores: two cluster start-ups
def test_sigterm_to_one_worker_saves_one_checkpoint_on_both_and_both_resume(tmp_path):
    model_dir = tmp_path / "model"
    outputs = [tmp_path / f"worker{i}.npz" for i in range(2)]
    logs = [tmp_path / f"worker{i}.stderr" for i in range(2)]
    processes = _start_and_wait_for_a_checkpoint(model_dir, outputs, logs)
    try:
        processes[1].send_signal(signal.SIGTERM)  # the non-chief: model_dir is not its to write
        for process in processes:
            process.wait(timeout=LOST_WORKER_SECONDS)
    finally:
        _stop_all(processes)
    assert [p.returncode for p in processes] == [PREEMPTED_STATUS] * 2, (
        f"{_tail(logs[0])}\n{_tail(logs[1])}"
    )
    last_step = _newest_step(model_dir)
    for log in logs:
        expected = f"Preempted (SIGTERM) at step {last_step}: saved checkpoint ckpt-{last_step}"
        assert expected in _tail(log), _tail(log)
    _assert_both_resume(model_dir, outputs, logs, last_step)


# Long enough for the spread of the two workers' first tracing, short enough for a test.
COLLECTIVE_TIMEOUT_SECONDS = 60


@pytest.mark.slow  # about 3 minutes: a cluster start-up and the collective timeout
def test_a_worker_that_hangs_alive_trips_the_collective_timeout(tmp_path):
    model_dir = tmp_path / "model"
    outputs = [tmp_path / f"worker{i}.npz" for i in range(2)]
    logs = [tmp_path / f"worker{i}.stderr" for i in range(2)]
    timeout = f"\nmake_strategy.collective_timeout_seconds = {COLLECTIVE_TIMEOUT_SECONDS}\n"
    extra_env = [{"EXTRA_GIN": timeout}, {"EXTRA_GIN": timeout, "HANG_AT_STEP": "2"}]
    processes = _start_workers(model_dir, outputs, logs, steps=1000, extra_env=extra_env)
    try:
        processes[0].wait(timeout=TIMEOUT_SECONDS + COLLECTIVE_TIMEOUT_SECONDS)
        hung_worker_alive = processes[1].poll() is None
    finally:
        _stop_all(processes)
    assert processes[0].returncode not in (None, 0)
    assert hung_worker_alive, "the hanging worker exited by itself"
    expected = (
        "WorkerLostError: a collective waited longer than make_strategy.collective_timeout_"
        "seconds after step 2: a worker hung or fell far behind; restart all workers to resume "
        f"from the last checkpoint in {model_dir}."
    )
    assert expected in _tail(logs[0]), _tail(logs[0])
    assert _newest_step(model_dir) == 2
