"""Truncation curves: scores against the truncation threshold (BigGAN's variety-fidelity trade)."""

from compare_gan_tf.files import write_figure

# Scores plotted against the threshold, with the direction that is better.
CURVE_SCORES = {
    "fid": "lower is better",
    "inception_score": "higher is better",
    "precision": "fidelity",
    "recall": "variety",
    "modes_recovered": "variety",
    "high_quality_fraction": "fidelity",
}


def truncation_curve(score_at, thresholds):
    """Scores at each threshold: a list of {"truncation": t, **score_at(t)}.

    Brock et al. 2019, section 3.1: lower thresholds trade variety for fidelity.
    """
    return [{"truncation": t, **score_at(t)} for t in thresholds]


def plot_truncation_curve(rows, path, title=None):
    """Writes a PNG with one panel per score of CURVE_SCORES present in `rows`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    names = [name for name in CURVE_SCORES if name in rows[0]]
    figure, axes = pyplot.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), squeeze=False)
    thresholds = [row["truncation"] for row in rows]
    for axis, name in zip(axes[0], names):
        axis.plot(thresholds, [row[name] for row in rows], marker="o")
        axis.set_xlabel("truncation threshold")
        axis.set_title(f"{name} ({CURVE_SCORES[name]})", fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    write_figure(figure, path, dpi=120)
    pyplot.close(figure)
