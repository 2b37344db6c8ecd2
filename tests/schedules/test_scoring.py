"""Scoring checkpoints: each once, reproducibly, during training, and across truncations.

A stand-in extractor (4x4 average pools of the 32 px digits, random fixed logits) keeps the
scores cheap; the real extractors are tested in tests/metrics.
"""

import json
import os

import gin
import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.metrics.evaluator import Evaluator
from compare_gan_tf.metrics.features import FeatureExtractor
from compare_gan_tf.metrics.results import read_results
from compare_gan_tf.schedules import train
from compare_gan_tf.schedules.continuous_eval import continuous_eval
from compare_gan_tf.schedules.eval import evaluate
from compare_gan_tf.schedules.truncation import truncation_sweep
from compare_gan_tf.training import loop
from compare_gan_tf.training.experiment import Experiment

LOGIT_WEIGHTS = np.random.default_rng(0).normal(size=(64, 10))


class PooledDigits(FeatureExtractor):
    name = "pooled_digits"

    def __call__(self, images):
        images = np.asarray(images)
        features = images.reshape(len(images), 8, 4, 8, 4).mean(axis=(2, 4)).reshape(-1, 64)
        return {"features": features, "logits": features @ LOGIT_WEIGHTS}


def tiny_evaluator():
    return Evaluator(
        extractor=PooledDigits(),
        num_samples=64,
        num_real=64,
        batch_size=32,
        num_draws=2,
        metrics=("fid", "inception_score", "precision_recall"),
        inception_score_splits=2,
    )


def results(model_dir):
    return read_results(os.path.join(model_dir, "eval", "results.jsonl"))


def test_every_checkpoint_is_scored_once(tiny_config, tmp_path):
    model_dir = str(tmp_path)
    experiment = loop.train(model_dir, training_steps=2)
    rows = evaluate(model_dir, experiment=experiment, evaluator=tiny_evaluator())
    assert [row["step"] for row in rows] == [1, 2]
    assert evaluate(model_dir, experiment=experiment, evaluator=tiny_evaluator()) == []
    stored = results(model_dir)
    assert [row["step"] for row in stored] == [1, 2]
    assert stored[0]["checkpoint"] == "ckpt-1"
    assert stored[0]["settings"]["extractor"] == "pooled_digits"
    assert set(stored[0]["scores"]) >= {"fid", "fid_draws_std", "inception_score", "precision"}
    tags = set()
    for path in (tmp_path / "eval").glob("events.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    # The headline scores in one group, their spreads and the rest in another.
    assert {tag for tag in tags if tag.startswith("eval/")} == {
        "eval/fid",
        "eval/inception_score",
        "eval/precision",
        "eval/recall",
    }
    assert {"eval_details/fid_draws_std", "eval_details/inception_score_std"} <= tags


def test_train_and_eval_scores_equal_a_later_evaluation_of_the_checkpoints(tiny_config, tmp_path):
    """Scoring in memory right after a save equals restoring that checkpoint later."""
    model_dir = str(tmp_path)
    gin.bind_parameter("train.training_steps", 2)
    during, _ = train.train_and_eval(model_dir, evaluator=tiny_evaluator())
    assert [row["step"] for row in during] == [1, 2]
    os.remove(os.path.join(model_dir, "eval", "results.jsonl"))
    later = evaluate(model_dir, experiment=Experiment(), evaluator=tiny_evaluator())
    for first, second in zip(during, later):
        assert first["step"] == second["step"]
        for name, value in first["scores"].items():
            assert second["scores"][name] == pytest.approx(value, rel=1e-4, abs=1e-6), name


def test_continuous_eval_stops_after_the_final_step(tiny_config, tmp_path):
    model_dir = str(tmp_path)
    experiment = loop.train(model_dir, training_steps=2)
    rows = continuous_eval(
        model_dir, final_step=2, timeout=5, experiment=experiment, evaluator=tiny_evaluator()
    )
    assert [row["step"] for row in rows] == [1, 2]


def test_truncation_sweep_writes_a_curve(tiny_config, tmp_path):
    model_dir = str(tmp_path)
    experiment = loop.train(model_dir, training_steps=1)
    rows = truncation_sweep(
        model_dir, thresholds=(0.1, 2.0), experiment=experiment, evaluator=tiny_evaluator()
    )
    assert [row["truncation"] for row in rows] == [0.1, 2.0]
    assert rows[0]["fid"] != rows[1]["fid"]  # the threshold reaches the generator
    stem = tmp_path / "eval" / "truncation_step_0000001"
    assert json.loads(stem.with_suffix(".json").read_text())["rows"] == rows
    assert stem.with_suffix(".png").stat().st_size > 1000


def test_truncation_sweep_without_a_checkpoint_says_to_train(tiny_config, tmp_path):
    with pytest.raises(FileNotFoundError, match="train first"):
        truncation_sweep(str(tmp_path), evaluator=tiny_evaluator())


def test_a_mixture_run_is_scored_by_modes(tmp_path):
    gin.clear_config()
    gin.parse_config_files_and_bindings(
        [
            os.path.join(
                os.path.dirname(loop.__file__), "..", "gin_configs", "gaussian_mixture_ring8.gin"
            )
        ],
        ["train.steps_per_loop = 5", "train.sample_steps = 0", "train.summary_steps = 0"],
    )
    try:
        experiment = loop.train(str(tmp_path), training_steps=5)
        evaluator = Evaluator(extractor=PooledDigits(), num_samples=500, num_draws=2)
        rows = evaluate(str(tmp_path), experiment=experiment, evaluator=evaluator)
    finally:
        gin.clear_config()
    scores = rows[-1]["scores"]
    assert 0 <= scores["modes_recovered"] <= 8
    assert 0.0 <= scores["high_quality_fraction"] <= 1.0
    assert rows[-1]["settings"]["extractor"] == "mixture_mode_statistics"
