"""A run whose model_dir is TensorFlow's in-memory ram:// filesystem (the stand-in for gs://)
writes everything there and nothing on the local disk."""

import json
import os
import subprocess
import sys
import uuid

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.schedules.run import run

TINY_BINDINGS = [
    "Experiment.architecture = 'dcgan'",
    "Experiment.batch_size = 8",
    "Experiment.z_dim = 8",
    "dcgan_generator.ch = 4",
    "dcgan_discriminator.ch = 4",
    "train.training_steps = 2",
    "train.steps_per_loop = 1",
    "train.summary_steps = 1",
    "train.sample_steps = 1",
    "train.singular_value_steps = 1",
    "evaluator.num_samples = 100",
    "evaluator.num_draws = 1",
    "evaluator.metrics = ('fid',)",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _clean_gin():
    yield
    gin.clear_config()


def _read(path, mode="r"):
    with tf.io.gfile.GFile(path, mode) as file:
        return file.read()


@pytest.mark.slow
def test_train_eval_export_write_only_to_ram(empty_cwd):
    model_dir = f"ram://{uuid.uuid4().hex}/run"
    outcomes = run(model_dir, gin_bindings=TINY_BINDINGS, schedule=["train", "eval", "export"])

    assert os.listdir(empty_cwd) == []
    assert [outcome.schedule for outcome in outcomes] == ["train", "eval", "export"]
    assert "dcgan_generator.ch = 4" in _read(f"{model_dir}/config.gin")
    assert "dcgan_generator.ch = 4" in _read(f"{model_dir}/operative_config.gin")
    assert tf.train.latest_checkpoint(model_dir) == f"{model_dir}/ckpt-2"
    assert tf.io.gfile.glob(f"{model_dir}/train/events.out.tfevents.*")
    for name in ("step_0000001.png", "step_0000002.png", "latest.png"):
        assert _read(f"{model_dir}/samples/{name}", "rb").startswith(PNG_SIGNATURE)
    rows = [json.loads(line) for line in _read(f"{model_dir}/eval/results.jsonl").splitlines()]
    assert [row["step"] for row in rows] == [2]
    assert rows == outcomes[1].rows
    best = json.loads(_read(f"{model_dir}/best/best.json"))
    assert best["checkpoint"] == f"best/ckpt-{best['step']}"
    assert tf.io.gfile.exists(f"{model_dir}/best/ckpt-{best['step']}.index")

    # The exported module loads from ram:// and its metadata names the checkpoint it holds.
    module = tf.saved_model.load(f"{model_dir}/hub/generator")
    assert json.loads(module.metadata.numpy())["step"] == best["step"]
    images = module(tf.zeros([3, 8]), tf.constant([0, 1, 2]))["generated"].numpy()
    assert images.shape == (3, 32, 32, 3)
    assert images.min() >= 0.0 and images.max() <= 1.0

    # A second export replaces the module (moved aside and back file by file on ram://).
    run(model_dir, gin_bindings=["export_checkpoint.checkpoint = 'newest'"], schedule=["export"])
    module = tf.saved_model.load(f"{model_dir}/hub/generator")
    assert json.loads(module.metadata.numpy())["step"] == 2
    again = module(tf.zeros([3, 8]), tf.constant([0, 1, 2]))["generated"].numpy()
    assert again.shape == (3, 32, 32, 3) and np.isfinite(again).all()
    assert sorted(tf.io.gfile.listdir(f"{model_dir}/hub")) == ["discriminator", "generator"]
    assert os.listdir(empty_cwd) == []


@pytest.mark.slow
def test_the_command_line_leaves_no_local_file(empty_cwd):
    """ram:// dies with the process, so this checks the exit status, the messages naming
    ram:// paths and the empty working directory."""
    model_dir = f"ram://{uuid.uuid4().hex}/run"
    command = [
        sys.executable,
        "-m",
        "compare_gan_tf.main",
        f"--model_dir={model_dir}",
        "--schedule=train,eval,export",
        *(f"--gin_bindings={binding}" for binding in TINY_BINDINGS),
    ]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Exported the generator to {model_dir}/hub/generator" in result.stdout
    assert f"All scores: {model_dir}/eval/results.jsonl" in result.stdout
    assert os.listdir(empty_cwd) == []
