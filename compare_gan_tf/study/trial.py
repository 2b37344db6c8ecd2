"""One trial: sample bindings, train through compare_gan_tf.run in the trial's model_dir, score.

A trial that diverges (FloatingPointError from the runner, a non-finite score, or a score past
the divergence threshold) is pruned, with the reason in its "diverged" user attr.
"""

import math
import os
import socket

import gin
import keras
import optuna
from absl import logging

from compare_gan_tf.schedules.run import run
from compare_gan_tf.study.definition import StudyFileError
from compare_gan_tf.study.step_cost import seconds_per_step
from compare_gan_tf.study.trial_scores import get_scorer

SCORE_PREFIX = "score:"


def _retried_trial_number(trial):
    """The number of the killed trial this one retries, or None (RetryHeartbeatStaleTrialCallback
    stores it as the "failed_trial" system attr)."""
    running = trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    frozen = next(t for t in running if t.number == trial.number)
    return frozen.system_attrs.get("failed_trial")


def _diverged(trial, reason):
    trial.set_user_attr("diverged", reason)
    logging.warning("Trial %d diverged: %s", trial.number, reason)
    raise optuna.TrialPruned(reason)


class TrialObjective:
    """The Optuna objective of a study: returns the optimized score of one training run."""

    def __init__(self, definition, study_dir):
        self.definition = definition
        self.study_dir = study_dir
        self.scorer = get_scorer(definition.metric)

    def model_dir(self, trial):
        """study_dir/trials/<number>; a retry continues in the killed trial's directory."""
        retried = _retried_trial_number(trial)
        number = trial.number if retried is None else retried
        return os.path.join(self.study_dir, "trials", str(number))

    def __call__(self, trial):
        definition = self.definition
        values, bindings = definition.sample(trial)
        model_dir = self.model_dir(trial)
        trial.set_user_attr("bindings", bindings)
        trial.set_user_attr("model_dir", model_dir)
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        logging.info("Trial %d in %s: %s", trial.number, model_dir, values)
        try:
            try:
                (outcome,) = run(
                    model_dir,
                    definition.gin_configs,
                    [*definition.bindings, *bindings],
                    schedule=["train"],
                )
            except FloatingPointError as error:
                _diverged(trial, str(error))
            trial.set_user_attr("seconds_per_step", seconds_per_step(model_dir))
            scores = self.scorer.function(outcome.experiment, model_dir)
        finally:
            gin.clear_config()
            # Each trial builds new models; free the previous ones' graphs and names.
            keras.utils.clear_session(free_memory=True)
        for name, value in scores.items():
            trial.set_user_attr(SCORE_PREFIX + name, float(value))
        if definition.score not in scores:
            raise StudyFileError(
                f"{definition.path}: metric {definition.metric!r} gives {', '.join(scores)}, not "
                f"{definition.score!r}; set [objective] score to one of those."
            )
        value = float(scores[definition.score])
        if not math.isfinite(value):
            _diverged(trial, f"{definition.score} is {value}")
        if definition.diverged(value):
            _diverged(
                trial,
                f"{definition.score} = {value:g} is past the divergence threshold "
                f"{definition.divergence_threshold:g}",
            )
        return value
