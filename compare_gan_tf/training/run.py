"""The one way into a run: parse gin, check the settings, run the schedules in order.

    from compare_gan_tf import run
    outcomes = run("runs/digits", ["digits_sndcgan.gin"], ["train.training_steps = 400"])

Schedules (Estimator's modes): train; eval (score every unscored checkpoint); continuous_eval
(score checkpoints as they appear); train_and_eval (train, scoring each checkpoint as it is
saved); truncation_curve (score the newest checkpoint across truncation thresholds); export (the
newest checkpoint as hub modules in model_dir/hub); sample (images of the best, else the
newest, checkpoint as PNG files in model_dir/generated; see sample_files.py). The command line,
the study worker and the tools all start runs here.
"""

import contextlib
import dataclasses
import os

import gin
import tensorflow as tf

from compare_gan_tf.metrics.evaluator import Evaluator
from compare_gan_tf.training import (
    best,
    checkpoints,
    loop,
    overfitting,
    publishing,
    sample_files,
    scoring,
)
from compare_gan_tf.training.config import DEFAULT_CONFIG, parse_gin
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.gin_check import LaterCall, check_bindings_reached
from compare_gan_tf.training.lock import training_lock
from compare_gan_tf.training.resume_check import check_resumable

# The names and their check live apart, so the command line checks them before TensorFlow loads.
from compare_gan_tf.training.schedules import (  # noqa: F401 (SCHEDULES: part of this API)
    DEFAULT_SCHEDULE,
    SCHEDULES,
    check_schedule,
)


@dataclasses.dataclass
class Outcome:
    """What one schedule did: a one-line summary, the score rows it wrote, its Experiment."""

    schedule: str
    summary: str
    rows: list
    experiment: object


# Schedules that read the checkpoints already in model_dir (continuous_eval waits for them).
_READERS = {"eval": "score", "truncation_curve": "score", "export": "export", "sample": "sample"}


def check_checkpoints(model_dir, schedule):
    """A schedule that reads checkpoints before any training of its own needs an earlier run's:
    MissingCheckpointError (naming model_dir) before anything is built or written."""
    for name in schedule:
        if "train" in name:
            return
        if name in _READERS:
            checkpoints.newest_checkpoint(model_dir, _READERS[name])
            return


def default_configs(model_dir, schedule):
    """The run's own config.gin when the schedule only reads an earlier run, else the default."""
    saved = os.path.join(model_dir, "config.gin")
    if not any("train" in name for name in schedule) and tf.io.gfile.exists(saved):
        return [saved]
    return [DEFAULT_CONFIG]


def configure(gin_configs, gin_bindings=()):
    """Clears gin, parses the configs and bindings, and checks the loop's settings, so a bad
    config fails before anything is built or written."""
    gin.clear_config()
    parse_gin(gin_configs, list(gin_bindings))
    loop.TrainSettings()


def later_calls(experiment, evaluator=None):
    """The calls of configurables that come after the check, as the schedules and the training
    step make them (with the parameters they pass), for gin_check. They count under every
    schedule: one config.gin serves all the schedules of a run. `evaluator` defaults to gin's."""
    evaluator = evaluator or Evaluator()
    calls = [
        LaterCall(scoring.evaluate, passed=("experiment",)),
        LaterCall(scoring.continuous_eval, passed=("experiment",)),
        LaterCall(scoring.truncation_sweep, passed=("experiment",)),
        LaterCall(overfitting.discriminator_split_scores),
        LaterCall(best.keep_if_best),
        LaterCall(publishing.export_checkpoint),
        LaterCall(sample_files.sample_run),
    ]
    if evaluator.extractor_name:  # loaded when the first score needs it
        calls.append(LaterCall(evaluator.extractor_name))
    calls += [LaterCall(step) for step in experiment.gan.objective.step_configurables()]
    return calls


def build_experiment():
    """The run's Experiment, built from gin once for all its schedules, after checking that
    every binding given reaches a parameter (gin_check.py): of the Experiment, of train.* (see
    `configure`), of the evaluator (built here) or of a call that a schedule or the training
    step makes later. ConfigError naming the bindings gin would ignore otherwise."""
    experiment = Experiment()
    evaluator = Evaluator()
    check_bindings_reached(later_calls(experiment, evaluator), experiment.settings_passed())
    return experiment


def _scores_line(rows, model_dir):
    results = scoring.results_path(model_dir)
    if not rows:
        return f"No new checkpoint to score; all scores are in {results}."
    last = rows[-1]
    return f"Step {last['step']}: {scoring.headline(last['scores'])}; all scores in {results}"


def closing_line(outcomes, model_dir):
    """The headline scores of the newest checkpoint any schedule scored, to end a run's output
    with, when the last schedule (an export, say) printed something else; else None."""
    scored = [outcome.rows for outcome in outcomes if outcome.rows]
    if not scored or outcomes[-1].rows:
        return None
    return _scores_line(scored[-1], model_dir)


def _train(model_dir, experiment):
    experiment = loop.train(model_dir, experiment=experiment)
    summary = f"Trained; checkpoints, summaries and samples are in {model_dir}."
    return summary, [], experiment


def train_and_eval(model_dir, experiment=None, evaluator=None):
    """Trains, scoring each checkpoint right after it is saved (compare_gan's train_and_eval);
    checkpoints of an earlier run without scores are scored first. Returns (rows, experiment)."""
    scorer = scoring.CheckpointScorer(model_dir, experiment, evaluator)
    rows = scorer.score_unscored()
    hook = scoring.ScoreCheckpoints(scorer)
    loop.train(model_dir, experiment=scorer.experiment, hooks=[hook])
    return rows + hook.rows, scorer.experiment


def _train_and_eval(model_dir, experiment):
    rows, experiment = train_and_eval(model_dir, experiment)
    return f"Trained. {_scores_line(rows, model_dir)}", rows, experiment


def _evaluate(model_dir, experiment):
    rows = scoring.evaluate(model_dir, experiment=experiment)
    return _scores_line(rows, model_dir), rows, experiment


def _continuous_eval(model_dir, experiment):
    experiment = scoring.CheckpointScorer(model_dir, experiment).experiment
    rows = scoring.continuous_eval(model_dir, experiment=experiment)
    return _scores_line(rows, model_dir), rows, experiment


def _truncation_curve(model_dir, experiment):
    experiment = scoring.CheckpointScorer(model_dir, experiment).experiment
    rows = scoring.truncation_sweep(model_dir, experiment=experiment)
    return f"Truncation curve written to {scoring.eval_dir(model_dir)}.", rows, experiment


def _export(model_dir, experiment):
    path = publishing.export_checkpoint(model_dir, experiment)
    return f"Exported the generator to {path} (load it with tensorflow_hub.load).", [], experiment


def _sample(model_dir, experiment):
    written = sample_files.sample_run(model_dir, experiment)
    return written.summary(), [], written.experiment


_RUNNERS = {
    "train": _train,
    "eval": _evaluate,
    "continuous_eval": _continuous_eval,
    "train_and_eval": _train_and_eval,
    "truncation_curve": _truncation_curve,
    "export": _export,
    "sample": _sample,
}


def score_trained(experiment, model_dir):
    """Scores an experiment's EMA generator as it is now (e.g. after a "train" schedule) with
    the gin-configured evaluator, the way an eval row scores a checkpoint; returns the scores."""
    return scoring.CheckpointScorer(model_dir, experiment).score()


def run(model_dir, gin_configs=None, gin_bindings=(), schedule=DEFAULT_SCHEDULE, report=None):
    """Runs `schedule` (names of SCHEDULES, in order) on model_dir; returns their Outcomes.

    gin_configs: paths or names of shipped configs; None takes model_dir/config.gin when the
    schedule only reads an earlier run and that file exists, else the embedded default
    (digits_sndcgan.gin). Schedules share one Experiment, built before the first, once every
    binding given is known to reach a parameter (ConfigError otherwise, see gin_check.py).
    `report(line)`, if given, receives each schedule's summary as soon as it is done. A
    schedule that trains stops with lock.ModelDirLockedError when another live run trains in
    model_dir.
    """
    schedule = check_schedule(schedule)
    check_checkpoints(model_dir, schedule)
    configure(gin_configs or default_configs(model_dir, schedule), gin_bindings)
    check_resumable(model_dir)
    experiment = build_experiment()  # before any schedule writes to model_dir
    outcomes = []
    # A schedule that trains holds model_dir's lock from before its first write (train_and_eval
    # scores earlier checkpoints first); reading schedules take none.
    trains = any("train" in name for name in schedule)
    with training_lock(model_dir) if trains else contextlib.nullcontext():
        for name in schedule:
            summary, rows, experiment = _RUNNERS[name](model_dir, experiment)
            outcomes.append(Outcome(name, summary, rows, experiment))
            if report:
                report(summary)
    return outcomes
