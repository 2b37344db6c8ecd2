"""Optuna samplers for a study, seeded per trial so that workers sharing a storage differ.

Every trial gets a fresh sampler seeded by (study seed, trial number): one worker reproduces the
same settings on a rerun, and several workers on one storage draw distinct settings instead of
each replaying the same random stream.
"""

import importlib.util

import numpy as np
import optuna

from compare_gan_tf.study.definition import StudyFileError


def trial_seed(seed, trial_number):
    """A 32-bit seed that depends only on the study seed and the trial number."""
    return int(np.random.SeedSequence([seed, trial_number]).generate_state(1)[0])


def _factory(definition):
    """seed -> a new Optuna sampler of the kind the definition names."""
    if definition.sampler == "random":
        return lambda seed: optuna.samplers.RandomSampler(seed=seed)
    if definition.sampler == "grid":
        grid = definition.grid()
        return lambda seed: optuna.samplers.GridSampler(grid, seed=seed)
    if definition.sampler == "tpe":
        # constant_liar: running trials count as bad, so parallel workers spread out.
        return lambda seed: optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if importlib.util.find_spec("torch") is None:
        raise StudyFileError(
            f"{definition.path}: sampler 'gp' needs PyTorch (Optuna's GPSampler); "
            "`pip install torch`, or use sampler = 'tpe'."
        )
    return lambda seed: optuna.samplers.GPSampler(seed=seed)


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """Delegates each trial to a new sampler from `factory(trial_seed(seed, trial.number))`."""

    def __init__(self, factory, seed):
        self._factory = factory
        self._seed = seed
        self._delegate = factory(seed)

    def before_trial(self, study, trial):
        # Optuna calls this in study.ask() before any parameter is sampled.
        self._delegate = self._factory(trial_seed(self._seed, trial.number))
        self._delegate.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._delegate.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._delegate.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._delegate.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values):
        self._delegate.after_trial(study, trial, state, values)


def make_sampler(definition):
    """The study's sampler: random (the seed paper's protocol), grid, tpe or gp."""
    return TrialSeededSampler(_factory(definition), definition.seed)
