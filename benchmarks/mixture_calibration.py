"""Ring8 calibration: which rates make the plain GAN collapse, and whether packing recovers.

Trains the mlp GAN of gaussian_mixture_ring8.gin (Metz et al. 2017's networks, batch 512) and
every `chunk` steps scores 2,500 samples of G: modes recovered and the high-quality fraction
(VEEGAN's definitions), the share of samples nearest to each mode (a collapsed G puts most of
them near one mode; Metz et al. 2017, fig. 1, show that mode moving), the samples' radius, and
D's mean logits. Runs: the config's rates (1e-4 for both), both at 1e-3, D ten times faster
than G, and PacGAN2 (packing 2) at 1e-3 on seeds 0, 1, 2. A figure shows G's samples over time
for the plain GAN and PacGAN2. --quick: 100 steps per run.
"""

import numpy as np

from benchmarks import common


def _rates(generator, discriminator):
    return [
        f"generator/adam.learning_rate = {generator}",
        f"discriminator/adam.learning_rate = {discriminator}",
    ]


RATES = {
    "config_1e-4": _rates("1e-4", "1e-4"),
    "both_1e-3": _rates("1e-3", "1e-3"),
    "g_1e-4_d_1e-3": _rates("1e-4", "1e-3"),
}
RUNS = {
    "plain_config_rates": (RATES["config_1e-4"], 20000, 2000),
    "plain_both_1e-3": (RATES["both_1e-3"], 20000, 1000),
    "plain_d_10x_faster": (RATES["g_1e-4_d_1e-3"], 10000, 2000),
    **{
        f"pacgan2_both_1e-3_seed{seed}": (
            [*RATES["both_1e-3"], "GANObjective.packing = 2", f"Experiment.seed = {seed}"],
            10000,
            2000,
        )
        for seed in (0, 1, 2)
    },
}
SCORED_SAMPLES = 2500
FIGURE_STEPS = (2000, 4000, 6000, 8000, 10000)


def _score(points, mixture, mode_statistics):
    stats = mode_statistics(points, mixture)
    near = np.bincount(stats["nearest_mode"], minlength=mixture.num_modes) / len(points)
    radius = np.hypot(points[:, 0], points[:, 1])
    return {
        "modes_recovered": stats["modes_recovered"],
        "high_quality_fraction": stats["high_quality_fraction"],
        "high_quality_per_mode": stats["counts"].tolist(),
        "share_nearest_each_mode": np.round(near, 3).tolist(),
        "largest_share_mode": int(np.argmax(near)),
        "largest_share": float(near.max()),
        "radius_mean": float(radius.mean()),
        "radius_std": float(radius.std()),
    }


def train_and_score(bindings, steps, chunk, keep_points=()):
    """Rows of scores every `chunk` steps, and G's samples at the steps in `keep_points`."""
    import gin
    import keras
    import tensorflow as tf

    from compare_gan_tf.data.gaussian_mixtures import RING8, mode_statistics
    from compare_gan_tf.schedules.run import configure
    from compare_gan_tf.training.experiment import Experiment

    configure(["gaussian_mixture_ring8.gin"], bindings)
    try:
        experiment = Experiment()
        gan, iterator = experiment.gan, experiment.distributed_iterator()
        z, _ = gan.sample_latents(SCORED_SAMPLES, seed=tf.constant([1, 2], tf.int64))
        rows, points_at = [], {}
        for step in range(chunk, steps + 1, chunk):
            metrics = gan.train(iterator, tf.constant(chunk))
            points = gan.generator(z, None, training=False).numpy()
            rows.append(
                {
                    "step": step,
                    **_score(points, RING8, mode_statistics),
                    "d_real": float(metrics["d_real"]),
                    "d_fake": float(metrics["d_fake"]),
                }
            )
            if step in keep_points:
                points_at[step] = points
        return rows, points_at
    finally:
        gin.clear_config()
        keras.utils.clear_session(free_memory=True)


def plot_samples(points_by_run, path):
    """One row per run, one column per step: G's samples over the ring's modes."""
    from matplotlib.figure import Figure

    from compare_gan_tf.data.gaussian_mixtures import RING8

    runs = list(points_by_run)
    steps = sorted(next(iter(points_by_run.values())))
    figure = Figure(figsize=(2.2 * len(steps), 2.4 * len(runs)), layout="constrained")
    axes = figure.subplots(len(runs), len(steps), squeeze=False)
    for row, run in enumerate(runs):
        for column, step in enumerate(steps):
            ax = axes[row][column]
            points = points_by_run[run][step]
            ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.3, color="tab:blue")
            ax.scatter(*RING8.centres.T, s=12, marker="x", color="tab:red")
            ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[], aspect="equal")
            if row == 0:
                ax.set_title(f"step {step}", fontsize=9)
        axes[row][0].set_ylabel(run, fontsize=8)
    figure.suptitle("G's samples (blue) and the ring's modes (red x)", fontsize=10)
    figure.savefig(path, dpi=100)


def run(quick=False, figure=None):
    results, points_by_run = {}, {}
    shown = {"plain_both_1e-3": "plain GAN, rates 1e-3", "pacgan2_both_1e-3_seed0": "PacGAN2"}
    for name, (bindings, steps, chunk) in RUNS.items():
        if quick:
            steps, chunk = 100, 50
        keep = () if quick or name not in shown else FIGURE_STEPS
        rows, points_at = train_and_score(bindings, steps, chunk, keep)
        results[name] = {"bindings": bindings, "steps": steps, "rows": rows}
        if points_at:
            points_by_run[shown[name]] = points_at
    if figure and points_by_run:
        plot_samples(points_by_run, figure)
    notes = [
        "Scores of G (no EMA) on 2,500 samples of fixed latents after every chunk of steps.",
        "A sample is high quality within 3 std (0.06) of its nearest mode (VEEGAN).",
    ]
    return common.payload("mixture_calibration", quick, results, notes=notes)


def table(results):
    rows = [["run", "step", "modes", "high quality", "largest share (mode)", "radius"]]
    for name, result in results.items():
        for row in result["rows"]:
            rows.append(
                [
                    name,
                    row["step"],
                    row["modes_recovered"],
                    row["high_quality_fraction"],
                    f"{row['largest_share']:.2f} ({row['largest_share_mode']})",
                    f"{row['radius_mean']:.2f}+-{row['radius_std']:.2f}",
                ]
            )
    return rows


if __name__ == "__main__":
    common.main("mixture_calibration", run, table)
