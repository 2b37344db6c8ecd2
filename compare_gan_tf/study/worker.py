"""A worker: runs trials of a study until it holds its number of trials; any number may share it.

Each worker repeats: fail trials whose worker died (the storage re-enqueues them), then run a
waiting retry, or a new trial while fewer than `trials` are done, running or waiting. When all
are claimed but some still run, it waits for them, so a trial whose worker dies is still retried.
Workers claim trials independently, so W workers may end with up to W - 1 extra trials. A
study with `balance` fixes those parameters of each new trial to the value combination that the
fewest claimed trials hold (the sampler draws the rest), so every combination gets its share.
"""

import sys
import time
import warnings

import gin
import optuna

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.schedules.run import configure
from compare_gan_tf.study.definition import StudyFileError
from compare_gan_tf.study.storage import open_study, retry_orphaned_trials
from compare_gan_tf.study.trial import TrialObjective

TrialState = optuna.trial.TrialState
CLAIMED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)


def worker_command(study_file, study_dir, *flags):
    """The argv that starts one worker process (compare_gan_tf-study), with extra `flags`."""
    paths = [f"--study={study_file}", f"--study_dir={study_dir}"]
    return [sys.executable, "-m", "compare_gan_tf.commands.study", *paths, *flags]


def check_bindings(definition):
    """Parses every parameter's bindings with gin once, so a typo fails before any training."""
    parameters = [(None, [])] + [
        (p, [line for value in p.example_values() for line in p.gin_bindings(value)])
        for p in definition.parameters
    ]
    try:
        for parameter, lines in parameters:
            where = "[study] bindings" if parameter is None else f"[params.{parameter.name}]"
            configure(definition.gin_configs, [*definition.bindings, *lines])
    except ConfigError as error:
        raise StudyFileError(f"{definition.path}: {where}: {error}") from None
    finally:
        gin.clear_config()


def _fail_dead_trials(study):
    with warnings.catch_warnings():
        # fail_stale_trials is marked experimental; it is what study.optimize itself calls.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def optimize(definition, study_dir, storage_url=None, trials=None):
    """Runs (or continues) the study until `trials` (default: the file's) are done; returns it."""
    target = definition.trials if trials is None else trials
    check_bindings(definition)
    study = open_study(definition, study_dir, storage_url)
    retry_orphaned_trials(study)
    objective = TrialObjective(definition, study_dir)
    while True:
        _fail_dead_trials(study)
        trials = study.get_trials(deepcopy=False)
        states = [trial.state for trial in trials]
        claimed = [trial for trial in trials if trial.state in CLAIMED]
        if TrialState.WAITING in states or len(claimed) < target:
            if TrialState.WAITING not in states and definition.balance:
                study.enqueue_trial(definition.balanced_choice(claimed))
            study.optimize(objective, n_trials=1)
        elif TrialState.RUNNING in states:
            time.sleep(definition.heartbeat_seconds)
        else:
            return study
