"""The truncation_curve schedule: the newest checkpoint scored at several truncation thresholds
(BigGAN's truncation trick, Brock et al. 2019, section 3.1), written as JSON and a plot."""

import os

import gin
import tqdm

from compare_gan_tf.metrics.results import write_json
from compare_gan_tf.metrics.truncation import plot_truncation_curve, truncation_curve
from compare_gan_tf.schedules.eval import eval_dir, scorer
from compare_gan_tf.training.checkpoints import newest_checkpoint


@gin.configurable
def truncation_sweep(
    model_dir, thresholds=(0.25, 0.5, 1.0, 1.5, 2.0), experiment=None, evaluator=None
):
    """Scores the newest checkpoint at each threshold; writes eval/truncation_step_N.json/.png
    and returns the curve's rows."""
    path = newest_checkpoint(model_dir, "score")
    checkpoint_scorer = scorer(model_dir, experiment, evaluator)
    step = checkpoint_scorer.restore(path)
    with tqdm.tqdm(thresholds, desc="truncation curve", unit="threshold") as progress:
        rows = truncation_curve(checkpoint_scorer.score, progress)
    stem = os.path.join(eval_dir(model_dir), f"truncation_step_{step:07d}")
    settings = checkpoint_scorer.settings()
    try:
        write_json(stem + ".json", {"step": step, "settings": settings, "rows": rows})
    except OSError as error:  # write_json raises WriteError, naming the file
        raise type(error)(f"{error}. The curve, not saved: {rows}") from error
    plot_truncation_curve(rows, stem + ".png", title=f"step {step}")
    return rows
