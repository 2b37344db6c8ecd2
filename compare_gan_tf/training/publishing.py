"""Publishes a run: its newest checkpoint as hub modules in model_dir/hub (the export schedule).

The generator is the EMA generator with standing BN statistics (what samples and scores use);
the metadata carries the dataset, step, operative gin config and the checkpoint's scores. The
data kind decides what is exported (images: generator and discriminator; points: generator).
"""

import os

import tensorflow as tf

from compare_gan_tf.metrics.results import read_results
from compare_gan_tf.training.checkpoints import newest_checkpoint, restore_for_sampling
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.scoring import results_path


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


def export_checkpoint(model_dir, experiment=None):
    """Exports the newest checkpoint to model_dir/hub; returns the generator module's path."""
    path = newest_checkpoint(model_dir, "export")
    experiment = experiment or Experiment()
    step = restore_for_sampling(experiment.gan, path)
    metadata = {
        "dataset": experiment.info.name,
        "step": step,
        "gin_config": _operative_config(model_dir),
        **checkpoint_scores(model_dir, step),
    }
    return experiment.kind.export(experiment.gan, hub_dir(model_dir), metadata)
