"""The budget curve against brute force over all k-subsets, and the results table's scores."""

import itertools

import numpy as np
import pandas as pd
import pytest

from compare_gan_tf.study import best_within_budget, budget_curves, setting_scores


def _brute_force_expected_best(values, k, best=max):
    """The mean over every k-subset of the trials of the subset's best score."""
    subsets = list(itertools.combinations(values, k))
    return sum(best(subset) for subset in subsets) / len(subsets)


@pytest.mark.parametrize("direction, best", [("maximize", max), ("minimize", min)])
def test_expected_best_matches_every_k_subset(direction, best):
    values = [3.0, 7.5, 1.0, 7.5, 4.25, -2.0, 0.5]  # ties and a negative on purpose
    curve = best_within_budget(values, range(1, 9), direction, num_bootstrap=200)
    for k in range(1, 8):
        expected = _brute_force_expected_best(values, k, best)
        assert curve.loc[k - 1, "expected_best"] == pytest.approx(expected, rel=1e-12)
    assert np.isnan(curve.loc[7, "expected_best"])  # a budget above the trials has no estimate
    assert curve.loc[6, "expected_best"] == best(values)


def test_bootstrap_band_brackets_the_estimate_and_narrows_with_budget():
    values = np.random.default_rng(0).normal(size=30)
    curve = best_within_budget(values, [1, 5, 30], num_bootstrap=2000, seed=1)
    assert (curve["lower"] <= curve["expected_best"]).all()
    assert (curve["expected_best"] <= curve["upper"]).all()
    # k = 1 is the mean: its band is the bootstrap interval of the mean, about +-1.96 sd/sqrt(n).
    half_width = (curve.loc[0, "upper"] - curve.loc[0, "lower"]) / 2
    assert half_width == pytest.approx(1.96 * values.std() / np.sqrt(30), rel=0.15)


def test_constant_scores_give_a_flat_curve_without_band():
    curve = best_within_budget([2.0] * 5, range(1, 6), num_bootstrap=50)
    np.testing.assert_allclose(curve[["expected_best", "lower", "upper"]].to_numpy(), 2.0)


def test_non_finite_scores_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="give diverged settings a worst score"):
        best_within_budget([1.0, np.nan], [1])


def test_diverged_settings_spend_budget_with_the_worst_score():
    table = pd.DataFrame(
        {
            "state": ["complete", "pruned", "complete", "fail", "complete"],
            "method": ["a", "a", "b", "b", "b"],
            "fid": [30.0, np.nan, 10.0, np.nan, 50.0],
        }
    )
    # Without a declared worst, a diverged setting counts as the worst score reached (50).
    assert setting_scores(table, "fid", "minimize").tolist() == [30.0, 50.0, 10.0, 50.0]
    assert setting_scores(table, "fid", "minimize", worst=500.0).tolist()[1] == 500.0
    curves = budget_curves(table, "fid", "minimize", worst=500.0, num_bootstrap=10)
    a = curves[curves["method"] == "a"].set_index("budget")["expected_best"]
    assert a[1] == pytest.approx((30.0 + 500.0) / 2)
    assert a[2] == 30.0
    assert curves["method"].tolist() == ["a", "a", "b", "b"]  # the failed trial spends nothing
