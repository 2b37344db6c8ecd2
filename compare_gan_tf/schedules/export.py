"""The export schedule: a run's best (or newest) checkpoint as hub modules in model_dir/hub.

The generator is the EMA generator with standing BN statistics (what samples and scores use);
the metadata carries the dataset, step, operative gin config and the checkpoint's scores. The
data kind decides what is exported (images: generator and discriminator; points: generator).
"""

import os

import gin
import tensorflow as tf
import tqdm
from absl import logging

from compare_gan_tf.checks import check_choice
from compare_gan_tf.metrics.results import read_results
from compare_gan_tf.schedules.best import best_record
from compare_gan_tf.schedules.eval import results_path
from compare_gan_tf.training.checkpoints import newest_checkpoint, restore_for_sampling
from compare_gan_tf.training.experiment import Experiment

CHOICES = ("best", "newest")


def hub_dir(model_dir):
    return os.path.join(model_dir, "hub")


def checkpoint_scores(model_dir, step):
    """The scores and settings of the untruncated row for `step` in the results file, or {}."""
    for row in reversed(read_results(results_path(model_dir))):
        if row["step"] == step and row.get("truncation") is None:
            return {"scores": row["scores"], "score_settings": row["settings"]}
    return {}


def _operative_config(model_dir):
    path = os.path.join(model_dir, "operative_config.gin")
    if not tf.io.gfile.exists(path):
        return ""
    with tf.io.gfile.GFile(path) as file:
        return file.read()


def chosen_checkpoint(model_dir, checkpoint):
    """(path, why) of the checkpoint to export: "best" or "newest"."""
    check_choice("export_checkpoint.checkpoint", checkpoint, CHOICES)
    newest = newest_checkpoint(model_dir, "export")
    record = best_record(model_dir) if checkpoint == "best" else None
    if record is not None:
        return os.path.join(model_dir, record["checkpoint"]), f"best: {record['why']}"
    if checkpoint == "best":
        return newest, "newest: no checkpoint of this run has been scored"
    return newest, "newest: export_checkpoint.checkpoint = 'newest'"


@gin.configurable(denylist=["model_dir", "experiment"])
def export_checkpoint(model_dir, experiment=None, checkpoint="best"):
    """Exports a checkpoint to model_dir/hub; returns the generator module's path.

    `checkpoint`: "best" (the best-scoring one, see best.py; the newest when none is scored) or
    "newest". The metadata names the step and why it was chosen. A call from outside a run may
    leave the Experiment None, to build it from gin.
    """
    path, why = chosen_checkpoint(model_dir, checkpoint)
    experiment = experiment or Experiment()
    step = restore_for_sampling(experiment.gan, path)
    logging.info("Exporting step %d, the %s.", step, why)
    metadata = {
        "dataset": experiment.info.name,
        "step": step,
        "checkpoint_choice": why,
        "gin_config": _operative_config(model_dir),
        **checkpoint_scores(model_dir, step),
    }
    # Counts the standing-statistics tables and the modules written; their number varies.
    with tqdm.tqdm(desc=f"export step {step}", unit="part", leave=False) as progress:
        return experiment.kind.export(
            experiment.gan, hub_dir(model_dir), metadata, lambda: progress.update()
        )
