"""Results of a study as a table, and the expected best score within a budget of k settings."""

import math

import numpy as np
import optuna
import pandas as pd

from compare_gan_tf.study.trial import SCORE_PREFIX

TrialState = optuna.trial.TrialState
# States of trials that are settings tried: a diverged (pruned) setting spends budget too.
SETTING_STATES = ("complete", "pruned")
COLUMNS = (
    "number",
    "state",
    "retry_of",
    "method",
    "duration_seconds",
    "seconds_per_step",
    "diverged",
    "model_dir",
    "worker",
)


def _method_name(params, method):
    return " / ".join(str(params.get(name)) for name in method) if method else "all"


def results_table(study, method=()):
    """One row per trial: number, state, method, parameters, scores, duration and more.

    A trial killed with its worker and then retried appears once, as its retry (whose
    `retry_of` names it); `method` lists the parameters whose values name a row's method.
    """
    trials = study.get_trials(deepcopy=False)
    retried = {number for trial in trials for number in trial.system_attrs.get("retry_history", [])}
    rows = []
    for trial in trials:
        if trial.state == TrialState.FAIL and trial.number in retried:
            continue
        duration = trial.duration.total_seconds() if trial.duration else math.nan
        scores = {
            name.removeprefix(SCORE_PREFIX): value
            for name, value in trial.user_attrs.items()
            if name.startswith(SCORE_PREFIX)
        }
        rows.append(
            {
                "number": trial.number,
                "state": trial.state.name.lower(),
                "retry_of": trial.system_attrs.get("failed_trial"),
                "method": _method_name(trial.params, method),
                **trial.params,
                **scores,
                "duration_seconds": duration,
                "seconds_per_step": trial.user_attrs.get("seconds_per_step", math.nan),
                "diverged": trial.user_attrs.get("diverged"),
                "model_dir": trial.user_attrs.get("model_dir"),
                "worker": trial.user_attrs.get("worker"),
            }
        )
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=COLUMNS)


def setting_scores(table, score, direction, worst=None):
    """`score` of every setting tried (complete or pruned), per row of `table`.

    A diverged setting without a score counts as `worst`, or when that is None as the worst
    score any setting reached: it spent budget and found nothing.
    """
    rows = table[table["state"].isin(SETTING_STATES)]
    values = rows[score] if score in rows else pd.Series(np.nan, index=rows.index)
    if worst is None:
        worst = values.min() if direction == "maximize" else values.max()
    return values.fillna(worst)


def _expected_best_weights(n, k):
    """P(the i-th smallest of n values is the max of a uniform k-subset), i = 1..n."""
    # The max of a k-subset is the i-th smallest when the other k-1 come from the i-1 below it.
    total = math.comb(n, k)
    return np.array([math.comb(i - 1, k - 1) / total for i in range(1, n + 1)])


def best_within_budget(
    values, budgets, direction="maximize", num_bootstrap=1000, confidence=0.95, seed=0
):
    """Expected best score among k settings drawn without replacement from `values`.

    The protocol of Lucic et al. 2018 and Kurach, Lucic et al. 2019: the best score reached with
    a budget of k settings, estimated by resampling k of a method's trials. The expectation over
    all k-subsets is exact (order statistics); the band is the `confidence` percentile interval
    over `num_bootstrap` bootstrap resamples of the trials. Returns a DataFrame with columns
    budget, expected_best, lower, upper; a budget above len(values) gives NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise ValueError(
            "best_within_budget needs a 1-D array of finite scores; give diverged settings a "
            "worst score first (analysis.setting_scores does)."
        )
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize', got {direction!r}.")
    sign = 1.0 if direction == "maximize" else -1.0
    n = len(values)
    rng = np.random.default_rng(seed)
    resampled = np.sort(sign * rng.choice(values, size=(num_bootstrap, n)), axis=1)
    ordered = np.sort(sign * values)
    rows = []
    for k in budgets:
        if not 1 <= k <= n:
            rows.append((k, math.nan, math.nan, math.nan))
            continue
        weights = _expected_best_weights(n, k)
        estimates = resampled @ weights
        tail = 100 * (1 - confidence) / 2
        lower, upper = sorted(sign * np.percentile(estimates, [tail, 100 - tail]))
        rows.append((k, sign * ordered @ weights, lower, upper))
    return pd.DataFrame(rows, columns=["budget", "expected_best", "lower", "upper"])


def budget_curves(table, score, direction, worst=None, **kwargs):
    """best_within_budget for every method of `table`: one curve per method, k = 1..its trials."""
    values = setting_scores(table, score, direction, worst)
    curves = []
    for method, method_values in values.groupby(table.loc[values.index, "method"], sort=True):
        if method_values.isna().all():
            continue
        budgets = range(1, len(method_values) + 1)
        curve = best_within_budget(method_values.to_numpy(), budgets, direction, **kwargs)
        curves.append(curve.assign(method=method))
    columns = ["method", "budget", "expected_best", "lower", "upper"]
    return (
        pd.concat(curves, ignore_index=True)[columns] if curves else pd.DataFrame(columns=columns)
    )
