"""The one way into a run: read and check gin once, build the Experiment once, run the schedules.

    from compare_gan_tf import run
    outcomes = run("runs/digits", ["digits_sndcgan.gin"], ["train.training_steps = 400"])

Schedules (Estimator's modes), one module each beside this one: train and train_and_eval
(train.py: train, scoring each checkpoint as it is saved); eval (eval.py: score every unscored
checkpoint); continuous_eval (continuous_eval.py: score checkpoints as they appear);
truncation_curve (truncation.py: the newest checkpoint across truncation thresholds); export
(export.py: the best, else newest, checkpoint as hub modules in model_dir/hub); sample
(sample.py: its images as PNG files in model_dir/generated). Before the first, `run` parses the
configs and bindings, builds the Experiment and the evaluator, and refuses every binding that
reaches no parameter (gin_check.py); then it hands both to each schedule in turn. The command
line, the study worker and the tools all start runs here.
"""

import dataclasses
import functools
import inspect
import os
import re

import gin
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.metrics.evaluator import Evaluator
from compare_gan_tf.migrate import detect
from compare_gan_tf.paths import is_local, read_text
from compare_gan_tf.schedules import best, gin_check, overfitting
from compare_gan_tf.schedules.continuous_eval import continuous_eval
from compare_gan_tf.schedules.eval import CheckpointScorer, eval_dir, evaluate, scores_line
from compare_gan_tf.schedules.export import export_checkpoint
from compare_gan_tf.schedules.gin_check import LaterCall, check_bindings_reached
from compare_gan_tf.schedules.names import (  # noqa: F401 (SCHEDULES: part of this API)
    DEFAULT_CONFIG,
    DEFAULT_SCHEDULE,
    SCHEDULES,
    check_schedule,
    find_config,
)
from compare_gan_tf.schedules.resume_check import check_resumable
from compare_gan_tf.schedules.sample import sample_images
from compare_gan_tf.schedules.train import lock_if_training, train, train_and_eval, trains
from compare_gan_tf.schedules.truncation import truncation_sweep
from compare_gan_tf.training import checkpoints, loop
from compare_gan_tf.training.experiment import Experiment


@dataclasses.dataclass
class Outcome:
    """What one schedule did: a one-line summary, the score rows it wrote, the run's Experiment."""

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
    if not trains(schedule) and tf.io.gfile.exists(saved):
        return [saved]
    return [DEFAULT_CONFIG]


def parse_gin(configs, bindings):
    """Parses the configs (paths or shipped names), then the bindings, into gin's state;
    ConfigError for a missing file or a name gin does not know (for a compare_gan config: the
    command that converts it). gin_check.py is told which bindings came from the files."""
    paths = [find_config(name) for name in configs]
    _read_includes_through_gfile()
    gin_check.note_config_files(parsed=False)
    try:
        for path in paths:
            if is_local(path):
                gin.parse_config_file(path)
            else:  # gin's own readers would log "Path not found" for gs:// before tf.io.gfile
                gin.parse_config(read_text(path))
        gin_check.note_config_files(parsed=True)
        gin.parse_config(bindings)
        gin.finalize()
    except (ValueError, KeyError, NameError, TypeError, SyntaxError) as error:
        compare_gan = detect.compare_gan_config(paths)
        if compare_gan:
            raise detect.compare_gan_config_error(*compare_gan) from None
        raise ConfigError(
            f"Bad gin configuration ({type(error).__name__}): {error}. {_parameters_hint(error)}"
            "Check the names against the files in gin_configs/ and the docstrings of the "
            "configurables."
        ) from None


def _parameters_hint(error):
    """For gin's "Configurable 'X' doesn't have a parameter named 'y'": the ones X has."""
    found = re.search(r"Configurable '([\w.]+)' doesn't have a parameter named", str(error))
    if not found:
        return ""
    try:
        parameters = inspect.signature(gin.get_configurable(found.group(1))).parameters
    except (ValueError, TypeError):
        return ""
    names = ", ".join(
        name
        for name, p in parameters.items()
        if p.kind is p.POSITIONAL_OR_KEYWORD or p.kind is p.KEYWORD_ONLY
    )
    return f"{found.group(1)} takes: {names}. "


@functools.cache
def _read_includes_through_gfile():
    """gin opens the includes of config files through tf.io.gfile too, so they may be on gs://."""
    gin.config.register_file_reader(tf.io.gfile.GFile, tf.io.gfile.exists)


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
        LaterCall(evaluate, passed=("experiment",)),
        LaterCall(continuous_eval, passed=("experiment",)),
        LaterCall(truncation_sweep, passed=("experiment",)),
        LaterCall(overfitting.discriminator_split_scores),
        LaterCall(best.keep_if_best),
        LaterCall(export_checkpoint),
        LaterCall(sample_images),
    ]
    if evaluator.extractor_name:  # loaded when the first score needs it
        calls.append(LaterCall(evaluator.extractor_name))
    calls += [LaterCall(step) for step in experiment.gan.objective.step_configurables()]
    return calls


def build():
    """The run's Experiment and evaluator, built from gin once for all its schedules, once every
    binding given is known to reach a parameter (gin_check.py): of the Experiment, of train.*
    (see `configure`), of the evaluator or of a call that a schedule or the training step makes
    later. ConfigError naming the bindings gin would ignore otherwise."""
    experiment = Experiment()
    evaluator = Evaluator()
    check_bindings_reached(later_calls(experiment, evaluator), experiment.settings_passed())
    return experiment, evaluator


def build_experiment():
    """The Experiment of `build`, for a caller that scores nothing."""
    return build()[0]


def closing_line(outcomes, model_dir):
    """The headline scores of the newest checkpoint any schedule scored, to end a run's output
    with, when the last schedule (an export, say) printed something else; else None."""
    scored = [outcome.rows for outcome in outcomes if outcome.rows]
    if not scored or outcomes[-1].rows:
        return None
    return scores_line(scored[-1], model_dir)


# Each schedule: (model_dir, experiment, evaluator) -> (summary line, score rows written).
def _train(model_dir, experiment, evaluator):
    return train(model_dir, experiment), []


def _train_and_eval(model_dir, experiment, evaluator):
    rows, _ = train_and_eval(model_dir, experiment, evaluator)
    return f"Trained. {scores_line(rows, model_dir)}", rows


def _evaluate(model_dir, experiment, evaluator):
    rows = evaluate(model_dir, experiment=experiment, evaluator=evaluator)
    return scores_line(rows, model_dir), rows


def _continuous_eval(model_dir, experiment, evaluator):
    rows = continuous_eval(model_dir, experiment=experiment, evaluator=evaluator)
    return scores_line(rows, model_dir), rows


def _truncation_curve(model_dir, experiment, evaluator):
    truncation_sweep(model_dir, experiment=experiment, evaluator=evaluator)
    return f"Truncation curve written to {eval_dir(model_dir)}.", []


def _export(model_dir, experiment, evaluator):
    path = export_checkpoint(model_dir, experiment)
    return f"Exported the generator to {path} (load it with tensorflow_hub.load).", []


def _sample(model_dir, experiment, evaluator):
    return sample_images(model_dir, experiment).summary(), []


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
    return CheckpointScorer(model_dir, experiment, Evaluator()).score()


def run(model_dir, gin_configs=None, gin_bindings=(), schedule=DEFAULT_SCHEDULE, report=None):
    """Runs `schedule` (names of SCHEDULES, in order) on model_dir; returns their Outcomes.

    gin_configs: paths or names of shipped configs; None takes model_dir/config.gin when the
    schedule only reads an earlier run and that file exists, else the embedded default
    (digits_sndcgan.gin). Schedules share one Experiment and one evaluator, built before the
    first, once every binding given is known to reach a parameter (ConfigError otherwise, see
    gin_check.py). `report(line)`, if given, receives each schedule's summary as soon as it is
    done. A schedule that trains stops with lock.ModelDirLockedError when another live run
    trains in model_dir.
    """
    schedule = check_schedule(schedule)
    check_checkpoints(model_dir, schedule)
    configure(gin_configs or default_configs(model_dir, schedule), gin_bindings)
    check_resumable(model_dir)
    experiment, evaluator = build()  # before any schedule writes to model_dir
    outcomes = []
    with lock_if_training(model_dir, schedule):
        for name in schedule:
            summary, rows = _RUNNERS[name](model_dir, experiment, evaluator)
            outcomes.append(Outcome(name, summary, rows, experiment))
            if report:
                report(summary)
    return outcomes
