"""Scorers: metric name -> function(experiment, model_dir) -> {score name: float}.

A study file names one in [objective] metric. To add one, decorate a function here or in any
module imported before the study runs (compare_gan_tf-study takes --import=MODULE for that):

    @register_scorer("my_metric", worst={"my_score": 0.0})
    def my_metric(experiment, model_dir):
        return {"my_score": ...}

`worst` gives the score a diverged trial counts as in the budget curves; without it a diverged
trial counts as the worst score any trial of the study reached.
"""

import dataclasses

from compare_gan_tf.data import MIXTURES
from compare_gan_tf.schedules.run import score_trained
from compare_gan_tf.study.definition import StudyFileError


@dataclasses.dataclass(frozen=True)
class Scorer:
    function: object
    worst: dict


SCORERS = {}


def register_scorer(name, worst=None):
    """Decorator registering `function(experiment, model_dir) -> dict of scores` as `name`."""

    def register(function):
        if name in SCORERS:
            raise ValueError(f"A scorer named {name!r} is already registered; pick another name.")
        SCORERS[name] = Scorer(function, dict(worst or {}))
        return function

    return register


def get_scorer(name):
    """The registered Scorer `name`; a clear error lists the registered ones."""
    if name not in SCORERS:
        raise StudyFileError(
            f"Unknown metric {name!r} in the study's [objective]; registered: "
            f"{', '.join(sorted(SCORERS))}. Register it with "
            "compare_gan_tf.study.trial_scores.register_scorer in a module the study imports."
        )
    return SCORERS[name]


@register_scorer("mixture", worst={"modes_recovered": 0, "high_quality_fraction": 0.0})
def mixture_scores(experiment, model_dir):
    """Modes recovered and the high-quality fraction of 2,500 EMA-generator samples (the
    scores a training run's eval rows hold for a mixture)."""
    name = experiment.info.name
    if name not in MIXTURES:
        raise ValueError(
            f"Metric 'mixture' scores the 2-D Gaussian mixtures ({', '.join(MIXTURES)}), but "
            f"the study trains on {name!r}; set dataset.name or pick another metric."
        )
    return score_trained(experiment, model_dir)


@register_scorer("evaluator")
def evaluator_scores(experiment, model_dir):
    """Every score of the gin-configured evaluator (evaluator.extractor and friends) on the
    trained EMA generator, e.g. the digits FID under digits_sndcgan.gin."""
    return score_trained(experiment, model_dir)
