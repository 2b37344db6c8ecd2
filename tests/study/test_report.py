"""Budget plots that read at a glance: a distinct colour-and-marker pair per method."""

import itertools

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from compare_gan_tf.study.report import (
    COLOURS,
    MARKERS,
    budget_table,
    cost_per_method,
    method_styles,
    plot_budget_curves,
    split_by,
)

LOSSES = ("hinge", "non_saturating", "wasserstein")
PENALTIES = ("bssn", "gn", "none", "pgn", "sn", "wgan_gp")


def test_two_part_methods_take_colour_from_the_first_part_and_marker_from_the_second():
    methods = [f"{loss} / {penalty}" for loss, penalty in itertools.product(LOSSES, PENALTIES)]
    styles = method_styles(methods)
    assert len({(style["color"], style["marker"]) for style in styles.values()}) == 18
    for loss, penalty in itertools.product(LOSSES, PENALTIES):
        style = styles[f"{loss} / {penalty}"]
        assert style["color"] == COLOURS[LOSSES.index(loss)]
        assert style["marker"] == MARKERS[PENALTIES.index(penalty)]


def test_single_part_methods_get_unique_pairs_beyond_ten():
    styles = method_styles([f"method {index:02d}" for index in range(25)])
    assert len({(style["color"], style["marker"]) for style in styles.values()}) == 25
    assert styles["method 10"]["color"] == styles["method 00"]["color"]
    assert styles["method 10"]["marker"] != styles["method 00"]["marker"]


def test_the_legend_sits_right_of_the_data(tmp_path):
    curves = pd.DataFrame(
        [
            {"method": m, "budget": k, "expected_best": k * s, "lower": 0.0, "upper": 9.0}
            for s, m in enumerate(["a", "b"], 1)
            for k in (1, 2, 3)
        ]
    )
    path = tmp_path / "budget.png"
    figure = plot_budget_curves(curves, "fid", "minimize", path)
    (axes,) = figure.axes
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # applies the constrained layout, as the saved PNG has it
    renderer = canvas.get_renderer()
    legend = axes.get_legend().get_window_extent(renderer)
    assert legend.x0 >= axes.get_window_extent(renderer).x1
    assert legend.x1 <= figure.bbox.x1  # inside the picture
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["a", "b"]
    assert Image.open(path).size == (1080, 576)


def test_a_balanced_parameter_splits_every_method_and_costs_are_tabulated():
    table = pd.DataFrame(
        {
            "method": ["sn", "sn", "none", "none", "none"],
            "loss": ["hinge", "ns", "hinge", "ns", "ns"],
            "state": ["complete", "pruned", "complete", "complete", "fail"],
            "seconds_per_step": [0.1, 0.3, 0.2, float("nan"), 9.0],
        }
    )
    assert split_by(table, "loss")["method"].tolist() == [
        "sn / hinge",
        "sn / ns",
        "none / hinge",
        "none / ns",
        "none / ns",
    ]
    costs = cost_per_method(table).set_index("method")
    assert costs.loc["sn", "trials"] == 2 and costs.loc["none", "trials"] == 1
    assert costs.loc["sn", "median s/step"] == pytest.approx(0.2)
    assert costs.loc["none", "p90 s/step"] == pytest.approx(0.2)
    by_loss = cost_per_method(table, by=["loss"]).set_index(["method", "loss"])
    assert by_loss.loc[("sn", "ns"), "median s/step"] == pytest.approx(0.3)
    assert len(by_loss) == 3


def test_the_budget_table_gives_each_method_its_curve_at_the_listed_budgets():
    curves = pd.DataFrame(
        [
            {"method": "a", "budget": 1, "expected_best": 3.0, "lower": 2.0, "upper": 4.0},
            {"method": "a", "budget": 2, "expected_best": 1.5, "lower": 1.0, "upper": 2.0},
            {"method": "b", "budget": 1, "expected_best": 5.0, "lower": 5.0, "upper": 5.0},
        ]
    )
    table = budget_table(curves, budgets=(1, 2)).set_index("method")
    assert table.loc["a", "k=1"] == "3 [2, 4]" and table.loc["a", "k=2"] == "1.5 [1, 2]"
    assert table.loc["b", "k=1"] == "5 [5, 5]" and pd.isna(table.loc["b", "k=2"])
