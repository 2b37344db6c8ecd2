"""The eval schedule: scores every checkpoint of a model_dir that has no score yet (`evaluate`),
with the `CheckpointScorer` that the other schedules that score share: continuous_eval.py (as
checkpoints appear), truncation.py (across truncation thresholds) and train.py's train_and_eval
(through the `ScoreCheckpoints` hook, each checkpoint right after it is saved).

Scores land in model_dir/eval/: results.jsonl (one row per checkpoint, with the settings that
make it comparable), TensorBoard summaries, and truncation curves as JSON and PNG. What is
scored depends on the data kind: the evaluator's metrics for images, mode statistics for points.
"""

import os
import time

import gin
import tensorflow as tf
import tqdm
from absl import logging

from compare_gan_tf.data.preprocessing import to_unit_range
from compare_gan_tf.files import write_error

# Imported for their gin configurables (digits_classifier.*, inception.*, keras_inception_v3.*).
from compare_gan_tf.metrics import digits_classifier, inception, keras_extractors  # noqa: F401
from compare_gan_tf.metrics.evaluator import Evaluator
from compare_gan_tf.metrics.results import append_result, read_results
from compare_gan_tf.schedules.best import keep_if_best
from compare_gan_tf.schedules.overfitting import discriminator_split_scores
from compare_gan_tf.training.checkpoints import checkpoint_step, checkpoints, restore_for_sampling
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.sampling import generate as generate_samples
from compare_gan_tf.training.sampling import prepare_sampling

RESULTS_FILE = "results.jsonl"
# The scores a summary line shows, with their short names; TensorBoard shows them in the "eval"
# group and every other score (spreads over draws, KID, density, ...) in "eval_details".
HEADLINE_SCORES = {
    "fid": "FID",
    "inception_score": "IS",
    "precision": "precision",
    "recall": "recall",
    "modes_recovered": "modes",
    "high_quality_fraction": "high-quality",
}
# Seeds of the fake draws: apart from training's and the sample grids' streams.
_EVAL_SEED = 7919


def eval_dir(model_dir):
    return os.path.join(model_dir, "eval")


def results_path(model_dir):
    return os.path.join(eval_dir(model_dir), RESULTS_FILE)


def headline(scores):
    """The HEADLINE_SCORES in `scores` as one short line: "FID 9.31, IS 9.18, ..."."""
    return ", ".join(
        f"{label} {scores[name]:.3g}" for name, label in HEADLINE_SCORES.items() if name in scores
    )


def scores_line(rows, model_dir):
    """A schedule's summary of the rows it scored: the newest one's headline scores."""
    results = results_path(model_dir)
    if not rows:
        return f"No new checkpoint to score; all scores are in {results}."
    last = rows[-1]
    return f"Step {last['step']}: {headline(last['scores'])}; all scores in {results}"


def summary_tag(name):
    return f"{'eval' if name in HEADLINE_SCORES else 'eval_details'}/{name}"


def scored_steps(model_dir, truncation=None):
    """Steps that already have a row in the results file (with this truncation)."""
    return {
        row["step"]
        for row in read_results(results_path(model_dir))
        if row.get("truncation") == truncation
    }


class CheckpointScorer:
    """Restores checkpoints of the run's Experiment and scores its EMA generator with the run's
    evaluator."""

    def __init__(self, model_dir, experiment, evaluator):
        self.model_dir = model_dir
        self.experiment = experiment
        self.evaluator = evaluator
        self._reference = None

    def restore(self, path):
        return restore_for_sampling(self.experiment.gan, path)

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
                (to_unit_range(images).numpy(), labels.numpy()) for images, labels in batches
            )
        return self._reference

    def generate_at(self, truncation):
        """`generate(draw, batch_index, batch_size)` -> (model outputs, labels) at a truncation."""
        gan = self.experiment.gan

        def generate(draw, index, batch_size):
            seed = tf.constant([_EVAL_SEED + draw, index], tf.int64)
            z, labels = gan.sample_latents(batch_size, seed, truncation)
            outputs = generate_samples(gan, z, labels).numpy()
            return outputs, None if labels is None else labels.numpy()

        return generate

    def score(self, truncation=None):
        """Scores of the checkpoint restored (or the weights trained) last: the data kind's
        scores of the EMA generator, with standing statistics from z at `truncation`, and, when
        untruncated, the discriminator's scores on training versus held-out reals (D does not
        depend on the threshold, so a truncation sweep does not repeat them)."""
        experiment = self.experiment
        # Every task of a cluster gets here: the standing statistics are a collective step.
        prepare_sampling(experiment.gan, truncation=truncation)
        step = int(experiment.gan.step.numpy())
        with self._progress(step, truncation) as progress:
            generate = self.generate_at(truncation)

            def generate_counted(draw, index, batch_size):
                outputs = generate(draw, index, batch_size)
                progress.update(min(len(outputs[0]), progress.total - progress.n))
                return outputs

            scores = experiment.kind.score(self.evaluator, self.reference, generate_counted)
        if truncation is not None:
            return scores
        return {**scores, **discriminator_split_scores(experiment.gan, experiment.data, step)}

    def _progress(self, step, truncation):
        """A progress bar over the fakes one score draws (the reference's features, computed
        once, are quick beside them); it disappears when done."""
        settings = self.settings()
        label = f"score step {step}" + ("" if truncation is None else f" at {truncation:g}")
        return tqdm.tqdm(
            total=settings["num_fake"] * settings["num_draws"],
            desc=label,
            unit="sample",
            leave=False,
            dynamic_ncols=True,
        )

    def settings(self):
        return self.experiment.kind.score_settings(self.evaluator)

    def write_row(self, step, path, scores, truncation=None):
        """Appends a row to eval/results.jsonl and the scores to TensorBoard; returns the row."""
        logging.debug(
            "Step %d: %s", step, ", ".join(f"{name} {value:.4g}" for name, value in scores.items())
        )
        if truncation is None:
            tqdm.tqdm.write(f"Step {step}: {headline(scores)}")  # above the training bar
        row = {
            "step": step,
            "checkpoint": os.path.basename(path),
            "truncation": truncation,
            "time": time.time(),
            "scores": scores,
            "settings": self.settings(),
        }
        results = results_path(self.model_dir)
        try:
            append_result(results, row)
        except (OSError, tf.errors.OpError) as error:
            # The scores took minutes: the message keeps them; earlier rows stay as they were.
            shown = ", ".join(f"{name} {value:.6g}" for name, value in scores.items())
            raise type(write_error(results, error))(
                f"{write_error(results, error)}. The scores of step {step}, not saved: {shown}. "
                f"Rows already in {results} are kept; free space or fix the permissions and "
                "rerun --schedule=eval to score the checkpoint again."
            ) from error
        try:
            if truncation is None:
                keep_if_best(self.model_dir, row, self.experiment.kind.best_score)
            writer = tf.summary.create_file_writer(eval_dir(self.model_dir))
            with writer.as_default(step=step):
                for name, value in scores.items():
                    tf.summary.scalar(summary_tag(name), value)
            writer.close()
        except (OSError, tf.errors.OpError) as error:
            raise type(write_error(self.model_dir, error))(
                f"{write_error(self.model_dir, error)}. The scores of step {step} are saved in "
                f"{results}; free space or fix the permissions and rerun."
            ) from error
        return row

    def score_unscored(self, truncation=None):
        """Restores and scores each checkpoint in model_dir that has no row yet."""
        done = scored_steps(self.model_dir, truncation)
        rows = []
        for path in checkpoints(self.model_dir):
            if checkpoint_step(path) not in done:
                step = self.restore(path)
                rows.append(self.write_row(step, path, self.score(truncation), truncation))
        return rows


class ScoreCheckpoints:
    """A training hook that scores each checkpoint right after it is saved (compare_gan's
    train_and_eval); `rows` collects the rows written."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.rows = []

    def after_checkpoint(self, run, path):
        scores = self.scorer.score()  # on every task; only the one that writes keeps a row
        if path:
            self.rows.append(self.scorer.write_row(run.step, path, scores))


def scorer(model_dir, experiment=None, evaluator=None):
    """A CheckpointScorer of the run's Experiment and evaluator; a call from outside a run may
    leave them None, to build them from gin."""
    return CheckpointScorer(model_dir, experiment or Experiment(), evaluator or Evaluator())


@gin.configurable
def evaluate(model_dir, experiment=None, evaluator=None, truncation=None):
    """Scores every checkpoint in model_dir that has no row yet; returns the new rows."""
    return scorer(model_dir, experiment, evaluator).score_unscored(truncation)
