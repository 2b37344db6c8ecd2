"""Scores the checkpoints of a model_dir: once (`evaluate`), as they appear (`continuous_eval`),
or across truncation thresholds (`truncation_curve`).

Scores land in model_dir/eval/: results.jsonl (one row per checkpoint, with the settings that
make it comparable), TensorBoard summaries, and truncation curves as JSON and PNG.
"""

import inspect
import os
import time

import gin
import numpy as np
import tensorflow as tf
from absl import logging

from compare_gan_tf.data import MIXTURES, mode_statistics

# Imported for their gin configurables (digits_classifier.*, inception.*, keras_inception_v3.*).
from compare_gan_tf.metrics import digits_classifier, inception  # noqa: F401
from compare_gan_tf.metrics.evaluator import Evaluator
from compare_gan_tf.metrics.results import append_result, read_results, write_json
from compare_gan_tf.metrics.truncation import plot_truncation_curve, truncation_curve
from compare_gan_tf.training import runner
from compare_gan_tf.training.experiment import Experiment

RESULTS_FILE = "results.jsonl"
# Seeds of the fake draws: apart from training's and the sample grids' streams.
_EVAL_SEED = 7919


def eval_dir(model_dir):
    return os.path.join(model_dir, "eval")


def checkpoint_step(path):
    """The step number N of a checkpoint path ".../ckpt-N"."""
    return int(path.rsplit("-", 1)[1])


def checkpoints(model_dir):
    """Paths of the checkpoints kept in model_dir, oldest first."""
    state = tf.train.get_checkpoint_state(model_dir)
    return list(state.all_model_checkpoint_paths) if state else []


def train_setting(name):
    """A setting of runner.train: its gin binding, or the function's default."""
    try:
        return gin.query_parameter(f"train.{name}")
    except ValueError:
        return inspect.signature(runner.train).parameters[name].default


def scored_steps(model_dir, truncation=None):
    """Steps that already have a row in the results file (with this truncation)."""
    return {
        row["step"]
        for row in read_results(os.path.join(eval_dir(model_dir), RESULTS_FILE))
        if row.get("truncation") == truncation
    }


class CheckpointScorer:
    """Restores checkpoints of one Experiment and scores its EMA generator with an Evaluator."""

    def __init__(self, experiment, evaluator, model_dir):
        self.experiment = experiment
        self.evaluator = evaluator
        self.model_dir = model_dir
        self._reference = None
        generator = experiment.gan.ema.average
        self._generate_fn = tf.function(lambda z, labels: generator(z, labels, training=False))

    def restore(self, path):
        return runner.restore_for_sampling(self.experiment.gan, path)

    def reference(self):
        """The real features, computed once per process."""
        if self._reference is None:
            batches = self.experiment.data.make(
                self.evaluator.reference_split,
                self.evaluator.batch_size,
                shuffle=False,
                repeat=False,
            )
            self._reference = self.evaluator.reference_features(
                ((images.numpy() + 1.0) / 2.0, labels.numpy()) for images, labels in batches
            )
        return self._reference

    def generate_at(self, truncation):
        """The evaluator's `generate(draw, batch_index, batch_size)` at one truncation."""
        gan = self.experiment.gan

        def generate(draw, index, batch_size):
            seed = tf.constant([_EVAL_SEED + draw, index], tf.int64)
            z, labels = gan.sample_latents(batch_size, seed, truncation)
            images = self._generate_fn(z, labels).numpy()
            return (images + 1.0) / 2.0, None if labels is None else labels.numpy()

        return generate

    def score(self, truncation=None):
        """Scores of the restored generator (images) or mode statistics (2-D mixtures)."""
        if not self.experiment.info.is_image:
            return self._mixture_scores(truncation)
        return self.evaluator.score(self.reference(), self.generate_at(truncation))

    def _mixture_scores(self, truncation):
        mixture = MIXTURES[self.experiment.info.name]
        generate = self.generate_at(truncation)
        draws = []
        for draw in range(self.evaluator.num_draws):
            points = np.concatenate(
                [
                    generate(draw, index, self.evaluator.batch_size)[0] * 2.0 - 1.0
                    for index in range(-(-self.evaluator.num_samples // self.evaluator.batch_size))
                ]
            )[: self.evaluator.num_samples]
            statistics = mode_statistics(points, mixture)
            draws.append(
                {
                    "modes_recovered": float(statistics["modes_recovered"]),
                    "high_quality_fraction": statistics["high_quality_fraction"],
                }
            )
        return {name: float(np.mean([draw[name] for draw in draws])) for name in draws[0]}

    def settings(self):
        if not self.experiment.info.is_image:
            return {
                "extractor": "mixture_mode_statistics",
                "num_fake": self.evaluator.num_samples,
                "num_draws": self.evaluator.num_draws,
            }
        return self.evaluator.settings()


def _write_row(model_dir, step, path, scores, settings, truncation=None):
    row = {
        "step": step,
        "checkpoint": os.path.basename(path),
        "truncation": truncation,
        "time": time.time(),
        "scores": scores,
        "settings": settings,
    }
    append_result(os.path.join(eval_dir(model_dir), RESULTS_FILE), row)
    writer = tf.summary.create_file_writer(eval_dir(model_dir))
    with writer.as_default(step=step):
        for name, value in scores.items():
            tf.summary.scalar(f"eval/{name}", value)
    writer.close()
    return row


def _log(step, scores):
    shown = ", ".join(f"{name} {value:.4g}" for name, value in scores.items())
    logging.info("Step %d: %s", step, shown)


def _scorer(model_dir, experiment, evaluator):
    return CheckpointScorer(experiment or Experiment(), evaluator or Evaluator(), model_dir)


def _score_new(scorer, model_dir, truncation=None):
    """Restores and scores each checkpoint in model_dir that has no row yet."""
    done = scored_steps(model_dir, truncation)
    rows = []
    for path in checkpoints(model_dir):
        if checkpoint_step(path) not in done:
            step = scorer.restore(path)
            rows.append(_score_and_write(scorer, step, path, truncation))
    return rows


def _score_and_write(scorer, step, path, truncation=None):
    scores = scorer.score(truncation)
    _log(step, scores)
    return _write_row(scorer.model_dir, step, path, scores, scorer.settings(), truncation)


@gin.configurable
def evaluate(model_dir, experiment=None, evaluator=None, truncation=None):
    """Scores every checkpoint in model_dir that has no row yet; returns the new rows."""
    return _score_new(_scorer(model_dir, experiment, evaluator), model_dir, truncation)


@gin.configurable
def continuous_eval(model_dir, final_step=None, timeout=3600, experiment=None, evaluator=None):
    """Scores each new checkpoint as it appears, until `final_step` (default: gin's
    train.training_steps) is scored or `timeout` seconds pass without a new checkpoint."""
    final_step = final_step or train_setting("training_steps")
    scorer = _scorer(model_dir, experiment, evaluator)
    rows = []
    for _ in tf.train.checkpoints_iterator(model_dir, timeout=timeout):
        rows += _score_new(scorer, model_dir)
        if final_step in scored_steps(model_dir):
            break
    return rows


@gin.configurable
def train_and_eval(model_dir, experiment=None, evaluator=None):
    """Trains, scoring each checkpoint right after it is saved (compare_gan's train_and_eval);
    checkpoints of an earlier run without scores are scored first."""
    scorer = _scorer(model_dir, experiment, evaluator)
    rows = _score_new(scorer, model_dir)

    def score_checkpoint(experiment, step, path):
        runner.prepare_sampling(experiment.gan)
        scores = scorer.score()
        if path:  # the task that writes model_dir
            _log(step, scores)
            rows.append(_write_row(model_dir, step, path, scores, scorer.settings()))

    runner.train(model_dir, experiment=scorer.experiment, on_checkpoint=score_checkpoint)
    return rows


@gin.configurable
def truncation_sweep(
    model_dir, thresholds=(0.25, 0.5, 1.0, 1.5, 2.0), experiment=None, evaluator=None
):
    """Scores the newest checkpoint at each threshold; writes eval/truncation_step_N.json/.png."""
    path = tf.train.latest_checkpoint(model_dir)
    if path is None:
        raise FileNotFoundError(
            f"No checkpoint in {model_dir}; train first (--schedule=train) or point --model_dir "
            "at a run."
        )
    scorer = _scorer(model_dir, experiment, evaluator)
    step = scorer.restore(path)
    rows = truncation_curve(scorer.score, thresholds)
    stem = os.path.join(eval_dir(model_dir), f"truncation_step_{step:07d}")
    write_json(stem + ".json", {"step": step, "settings": scorer.settings(), "rows": rows})
    plot_truncation_curve(rows, stem + ".png", title=f"step {step}")
    return rows
