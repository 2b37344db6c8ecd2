"""A run killed while a checkpoint is written resumes from the last complete one."""

import os
import random
import re
import signal
import subprocess
import sys
import time

import gin
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.checkpoint import checkpoint_management

from compare_gan_tf.training import checkpoints, loop
from tests.test_main import _env
from tests.training.tiny_run import TINY_RUN


def _read_every_tensor(path):
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def test_the_state_file_is_written_after_the_checkpoint_data(tmp_path, monkeypatch):
    """When CheckpointManager records ckpt-N as the newest, ckpt-N is already complete."""
    gin.clear_config()
    gin.parse_config(TINY_RUN)
    recorded = []
    record_state = checkpoint_management.update_checkpoint_state_internal

    def check_data_then_record(save_dir, model_checkpoint_path, **kwargs):
        tensors = _read_every_tensor(model_checkpoint_path)
        recorded.append((os.path.basename(model_checkpoint_path), len(tensors)))
        return record_state(save_dir, model_checkpoint_path, **kwargs)

    monkeypatch.setattr(
        checkpoint_management, "update_checkpoint_state_internal", check_data_then_record
    )
    try:
        experiment = loop.train(str(tmp_path), training_steps=2)
    finally:
        gin.clear_config()
    # Two state writes per save (before and after deleting old checkpoints), each complete.
    names = [name for name, _ in recorded]
    assert names == ["ckpt-1", "ckpt-1", "ckpt-2", "ckpt-2"]
    weights = len(experiment.gan.generator.weights)
    assert all(count > weights for _, count in recorded)


def _start(model_dir, steps):
    command = [sys.executable, "-m", "tests.reliability.save_kill_task", str(model_dir), str(steps)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )


def _kill_inside_a_save(model_dir, rng):
    """Starts a run, SIGKILLs it a random 0-50 ms into its 2nd-4th save; returns (step of that
    save, whether it was still being written when the process died)."""
    process = _start(model_dir, 10000)
    target = rng.randint(2, 4)
    saves = 0
    try:
        for line in process.stdout:
            if line.startswith("saving"):
                saves += 1
                if saves == target:
                    step = int(line.split()[1])
                    time.sleep(rng.uniform(0, 0.05))
                    process.send_signal(signal.SIGKILL)
                    break
        else:
            pytest.fail(process.stderr.read()[-3000:])
    finally:
        process.kill()
        rest, stderr = process.communicate(timeout=60)
    return step, f"saved {step}" not in rest


@pytest.mark.slow
def test_sigkill_during_saves_resumes_from_the_last_complete_checkpoint(tmp_path, kills=4):
    """Five process starts (about 40 s unloaded, 5 min on a busy machine): run with -m slow."""
    rng = random.Random(kills)
    interrupted = 0
    for _ in range(kills):
        step, mid_save = _kill_inside_a_save(tmp_path, rng)
        interrupted += mid_save
        latest = tf.train.latest_checkpoint(str(tmp_path))
        if mid_save:
            assert not latest.endswith(f"ckpt-{step}")
        tensors = _read_every_tensor(latest)
        np.testing.assert_array_equal(tensors["ballast/.ATTRIBUTES/VARIABLE_VALUE"], 0.0)
    print(f"{interrupted} of {kills} kills landed inside a save")
    assert interrupted >= 1, "no kill landed inside a save"

    latest = tf.train.latest_checkpoint(str(tmp_path))
    final = int(re.search(r"ckpt-(\d+)$", latest).group(1)) + 2
    result = subprocess.run(
        [sys.executable, "-m", "tests.reliability.save_kill_task", str(tmp_path), str(final)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Resumed from {latest}" in result.stderr
    assert result.stdout.split()[-2:] == ["saved", str(final)]
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith(f"ckpt-{final}")


def _interrupted_save(model_dir, step):
    """What a save killed midway leaves: ckpt-N_temp/ with a partial shard."""
    debris = model_dir / f"ckpt-{step}_temp"
    debris.mkdir()
    (debris / "part-00000-of-00001.tempstate1234").write_bytes(b"partial")
    return debris


def test_a_save_removes_what_interrupted_saves_left(tmp_path):
    debris = _interrupted_save(tmp_path, 3)
    checkpoint = tf.train.Checkpoint(value=tf.Variable(1.0))
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=2)
    path = checkpoints.save(manager, str(tmp_path), 3)
    assert not debris.exists()
    assert path == tf.train.latest_checkpoint(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint",
        "ckpt-3.data-00000-of-00001",
        "ckpt-3.index",
    ]


def test_a_training_run_leaves_none_behind(tmp_path):
    gin.clear_config()
    gin.parse_config(TINY_RUN)
    debris = _interrupted_save(tmp_path, 5)
    try:
        loop.train(str(tmp_path), training_steps=1)
    finally:
        gin.clear_config()
    assert not debris.exists()
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-1")
