"""The continuous_eval schedule: scores each checkpoint as it appears, beside a run that trains
elsewhere (another process or machine writing the same model_dir), as compare_gan's
continuous_eval did."""

import gin
import tensorflow as tf

from compare_gan_tf.schedules.eval import scored_steps, scorer
from compare_gan_tf.training.loop import TrainSettings


@gin.configurable
def continuous_eval(model_dir, final_step=None, timeout=3600, experiment=None, evaluator=None):
    """Scores each new checkpoint as it appears, until `final_step` (default: gin's
    train.training_steps) is scored or `timeout` seconds pass without a new checkpoint; returns
    the rows written."""
    final_step = final_step or TrainSettings().training_steps
    checkpoint_scorer = scorer(model_dir, experiment, evaluator)
    rows = []
    for _ in tf.train.checkpoints_iterator(model_dir, timeout=timeout):
        rows += checkpoint_scorer.score_unscored()
        if final_step in scored_steps(model_dir):
            break
    return rows
