"""The export schedule: the newest checkpoint of a model_dir as hub modules in model_dir/hub.

The generator is the EMA generator with standing BN statistics (what samples and scores use);
the metadata carries the dataset, step, operative gin config and the checkpoint's scores.
"""

import os
import pathlib

import tensorflow as tf

from compare_gan_tf.export import export_discriminator, export_generator
from compare_gan_tf.metrics.results import read_results
from compare_gan_tf.training import evaluation, runner
from compare_gan_tf.training.experiment import Experiment


def hub_dir(model_dir):
    return os.path.join(model_dir, "hub")


def checkpoint_scores(model_dir, step):
    """The scores and settings of the untruncated row for `step` in the results file, or {}."""
    rows = read_results(os.path.join(evaluation.eval_dir(model_dir), evaluation.RESULTS_FILE))
    for row in reversed(rows):
        if row["step"] == step and row.get("truncation") is None:
            return {"scores": row["scores"], "score_settings": row["settings"]}
    return {}


def export(model_dir, experiment=None):
    """Exports the newest checkpoint; returns (generator path, discriminator path)."""
    path = tf.train.latest_checkpoint(model_dir)
    if path is None:
        raise FileNotFoundError(
            f"No checkpoint in {model_dir} to export; train first (--schedule=train) or point "
            "--model_dir at a run."
        )
    experiment = experiment or Experiment()
    gan = experiment.gan
    step = runner.restore_for_sampling(gan, path)
    config = pathlib.Path(model_dir, "operative_config.gin")
    metadata = {
        "dataset": experiment.info.name,
        "step": step,
        "gin_config": config.read_text() if config.exists() else "",
        **checkpoint_scores(model_dir, step),
    }
    generator = export_generator(
        gan.ema.average,
        os.path.join(hub_dir(model_dir), "generator"),
        num_classes=gan.num_classes,
        z_prior=gan.z_prior,
        metadata=metadata,
    )
    discriminator = export_discriminator(
        gan.discriminator,
        os.path.join(hub_dir(model_dir), "discriminator"),
        num_classes=gan.num_classes,
        channels=experiment.info.channels,
        metadata=metadata,
    )
    return generator, discriminator
