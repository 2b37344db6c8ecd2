"""Writes a study's analysis into its directory: results.csv, budget_<score>.png, report.md;
through tf.io.gfile, so the directory may be on gs://."""

import math
import os

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from compare_gan_tf.files import write_figure, write_file
from compare_gan_tf.study.analysis import (
    SETTING_STATES,
    budget_curves,
    results_table,
    setting_scores,
)
from compare_gan_tf.study.trial_scores import SCORERS

TOP_SETTINGS = 10
# Budgets k at which the report tabulates each method's expected best score.
TABLE_BUDGETS = (1, 3, 5, 10, 20)
# Ten colours, nine markers (one fewer, so index i gets a unique pair up to 90 methods), and
# line styles for more first parts than colours.
COLOURS = matplotlib.colormaps["tab10"].colors
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<")
LINE_STYLES = ("-", "--", ":", "-.")


def method_styles(methods):
    """{method: plot style}: every method a distinct colour-and-marker pair.

    Methods named "a / b" (one value per method parameter) take their colour from `a` and their
    marker from the rest, so a loss reads as a colour and a penalty as a marker.
    """
    methods = sorted(methods)
    parts = [method.split(" / ", 1) for method in methods]
    if len(methods) > 1 and all(len(part) == 2 for part in parts):
        firsts = sorted({part[0] for part in parts})
        rests = sorted({part[1] for part in parts})
        keys = [(firsts.index(first), rests.index(rest)) for first, rest in parts]
    else:
        keys = [(index, index) for index in range(len(methods))]
    return {
        method: dict(
            color=COLOURS[colour % len(COLOURS)],
            marker=MARKERS[marker % len(MARKERS)],
            linestyle=LINE_STYLES[colour // len(COLOURS) % len(LINE_STYLES)],
        )
        for method, (colour, marker) in zip(methods, keys)
    }


def plot_budget_curves(curves, score, direction, path):
    """One line per method (expected best score vs budget k) with its bootstrap band, as PNG;
    the legend sits right of the axes, outside the data. Returns the figure."""
    # A bare Figure draws with the Agg canvas and touches no pyplot state.
    figure = Figure(figsize=(9, 4.8), layout="constrained")
    axes = figure.subplots()
    styles = method_styles(curves["method"].unique())
    for method, curve in curves.groupby("method", sort=True):
        style = styles[method]
        axes.plot(curve["budget"], curve["expected_best"], label=method, markersize=5, **style)
        axes.fill_between(
            curve["budget"], curve["lower"], curve["upper"], color=style["color"], alpha=0.08
        )
    better = "higher" if direction == "maximize" else "lower"
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("budget k (settings tried)")
    axes.set_ylabel(f"expected best {score} ({better} is better)")
    axes.set_title(f"Best {score} within k settings\n(shaded: 95% bootstrap band)", fontsize=11)
    axes.grid(alpha=0.3)
    axes.legend(
        title="method", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1
    )
    write_figure(figure, path, dpi=120)
    return figure


def write_budget_plots(table, definition, study_dir, suffix=""):
    """budget_<score><suffix>.png for every reported score that has curves; returns
    [(score, direction, path, curves)]. `table` is results_table's, or its results.csv read back."""
    written = []
    for score, direction in definition.scores_to_report().items():
        curves = budget_curves(table, score, direction, _worst(definition, score))
        if curves.empty:
            continue
        path = os.path.join(study_dir, f"budget_{score}{suffix}.png")
        plot_budget_curves(curves, score, direction, path)
        written.append((score, direction, path, curves))
    return written


def budget_table(curves, budgets=TABLE_BUDGETS):
    """A row per method: its expected best score at each of `budgets` (those it has trials
    for) with the 95% bootstrap band, as "value [lower, upper]"."""
    rows = []
    for method, curve in curves.groupby("method", sort=True):
        row = {"method": method}
        for budget in budgets:
            point = curve[curve["budget"] == budget]
            if not point.empty and not point["expected_best"].isna().all():
                best, lower, upper = point.iloc[0][["expected_best", "lower", "upper"]]
                row[f"k={budget}"] = f"{best:.4g} [{lower:.4g}, {upper:.4g}]"
        rows.append(row)
    return pd.DataFrame(rows)


def split_by(table, parameter):
    """`table` with each method renamed "<method> / <value of parameter>"."""
    return table.assign(method=table["method"] + " / " + table[parameter].astype(str))


def cost_per_method(table, by=()):
    """A row per method (and value of each parameter in `by`, such as D steps per G step):
    settings tried (complete or pruned) with a measured cost, and the median and spread (10th
    to 90th percentile) of their seconds per G step."""
    if "seconds_per_step" not in table:
        return pd.DataFrame()
    keys = ["method", *by]
    settings = table[table["state"].isin(SETTING_STATES)]
    measured = settings.dropna(subset=["seconds_per_step"])
    rows = [
        {
            **dict(zip(keys, group)),
            "trials": len(costs),
            "median s/step": costs.median(),
            "p10 s/step": costs.quantile(0.1),
            "p90 s/step": costs.quantile(0.9),
        }
        for group, costs in measured.groupby(keys, sort=True)["seconds_per_step"]
    ]
    return pd.DataFrame(rows)


def _cell(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def markdown_table(frame):
    """`frame` as a GitHub markdown table (no tabulate dependency)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines)


def best_per_method(table, definition, score, direction):
    """A row per method: settings, diverged, best and median score, and the best setting."""
    values = setting_scores(table, score, direction, _worst(definition, score))
    rows = []
    for method, method_values in values.groupby(table.loc[values.index, "method"]):
        best = method_values.idxmax() if direction == "maximize" else method_values.idxmin()
        parameters = table.loc[best, _parameter_columns(table, definition)].dropna()
        rows.append(
            {
                "method": method,
                "settings": len(method_values),
                "diverged": int((table.loc[method_values.index, "state"] == "pruned").sum()),
                f"best {score}": method_values[best],
                f"median {score}": method_values.median(),
                "best trial": int(table.loc[best, "number"]),
                "best setting": ", ".join(f"{k}={_cell(v)}" for k, v in parameters.items()),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(f"best {score}", ascending=direction == "minimize")


def _parameter_columns(table, definition):
    # A conditional parameter no trial has sampled yet has no column.
    return [p.name for p in definition.parameters if p.name in table]


def _worst(definition, score):
    scorer = SCORERS.get(definition.metric)
    return None if scorer is None else scorer.worst.get(score)


def _top_settings(table, definition):
    done = table[table["state"] == "complete"]
    if definition.score not in done:
        return done
    columns = ["number", "method", *_parameter_columns(done, definition)]
    columns += [name for name in definition.scores_to_report() if name in done]
    # A parameter named "method" is the method column itself.
    columns = list(dict.fromkeys(columns))
    ranked = done.sort_values(definition.score, ascending=definition.direction == "minimize")
    return ranked[columns].head(TOP_SETTINGS)


def write_report(study, definition, study_dir):
    """Writes results.csv, one budget_<score>.png per reported score, report.md; returns paths."""
    table = results_table(study, definition.method)
    paths = [os.path.join(study_dir, "results.csv")]
    write_file(paths[0], table.to_csv(index=False))
    counts = table["state"].value_counts() if not table.empty else pd.Series(dtype=int)
    lines = [
        f"# Study {definition.name}",
        "",
        f"{len(table)} trials: "
        + ", ".join(f"{count} {state}" for state, count in counts.items())
        + f". Sampler {definition.sampler}, metric {definition.metric}, optimizing "
        f"{definition.score} ({definition.direction}). Pruned trials diverged; they count as "
        "settings tried, with the worst score. Every trial's row is in results.csv.",
    ]
    # Methods first, then each further balanced parameter as a split of every method.
    splits = [("", "", table)] + [
        (f" by {name}", f"_by_{name}", split_by(table, name))
        for name in definition.balance
        if name not in definition.method
    ]
    for title, suffix, split in splits:
        plots = write_budget_plots(split, definition, study_dir, suffix)
        for score, direction, image, curves in plots:
            paths.append(image)
            per_method = best_per_method(split, definition, score, direction)
            lines += [
                "",
                f"## {score} ({direction}){title}",
                "",
                f"![budget curves]({os.path.basename(image)})",
                "",
                f"Expected best {score} within k settings [95% bootstrap band]:",
                "",
                markdown_table(budget_table(curves)),
            ]
            lines += ["", "Best setting per method:", "", markdown_table(per_method)]
    costs = cost_per_method(table, definition.cost_by)
    if not costs.empty:
        lines += [
            "",
            "## Cost per G step",
            "",
            "Seconds per G step while training (median over each trial's loops after the "
            "first), over trials:",
            "",
            markdown_table(costs),
        ]
    lines += [
        "",
        f"## Top {TOP_SETTINGS} settings",
        "",
        markdown_table(_top_settings(table, definition)),
    ]
    report = os.path.join(study_dir, "report.md")
    write_file(report, "\n".join(lines) + "\n")
    return paths + [report]
