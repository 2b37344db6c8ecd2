"""The model_dir runner: trains (resuming from model_dir), writes checkpoints, summaries, samples.

Everything a run writes lands in model_dir: checkpoints (ckpt-N), config.gin (the bindings
given) and operative_config.gin (those used), TensorBoard summaries under train/, and sample
grids under samples/.
"""

import os
import time

import gin
import numpy as np
import tensorflow as tf
import tqdm
from absl import logging

from compare_gan_tf.data import MIXTURES
from compare_gan_tf.training.ema import standing_statistics
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.monitor import top_singular_value_summaries
from compare_gan_tf.training.samples import save_image_grid, save_scatter_plot

SAMPLE_SEED = (2019, 11)


def is_chief(strategy):
    """Whether this task writes model_dir: the chief, or worker 0 in a cluster without one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def checkpoint_manager(gan, model_dir, keep_checkpoint_max=5):
    """A CheckpointManager over everything `gan` needs to resume (weights, slots, EMA, u, step).

    Under multi-worker training every task must save (the save is collective), but only the
    chief writes model_dir; the others write to a scratch folder that `save` then removes.
    """
    checkpoint = tf.train.Checkpoint(**gan.checkpoint_items())
    directory = model_dir
    if not is_chief(gan.strategy):
        resolver = gan.strategy.cluster_resolver
        directory = os.path.join(model_dir, f".scratch_{resolver.task_type}_{resolver.task_id}")
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=keep_checkpoint_max)


def save(manager, model_dir, step):
    """Saves checkpoint `step`; returns its path, or None on a non-chief task, whose scratch
    copy is deleted right away."""
    path = manager.save(checkpoint_number=step)
    if manager.directory != model_dir:
        tf.io.gfile.rmtree(manager.directory)
        return None
    return path


def restore(manager, model_dir):
    """Restores the newest checkpoint in model_dir, if any; returns its path or None."""
    path = tf.train.latest_checkpoint(model_dir)
    if path:
        manager.checkpoint.restore(path).assert_existing_objects_matched()
        logging.info("Resumed from %s.", path)
    return path


def prepare_sampling(gan, seed=SAMPLE_SEED, standing_batches=8):
    """Recomputes the EMA generator's BN statistics from fixed latents ("standing statistics").

    Fixed seeds make the statistics, and so the samples, a function of the weights alone.
    """
    batches = (
        gan.sample_latents(gan.global_batch_size, tf.constant([seed[0], 100 + i], tf.int64))
        for i in range(standing_batches)
    )
    standing_statistics(gan.ema.average, batches)


def sample_images(gan, count, seed=SAMPLE_SEED):
    """`count` images from the EMA generator after recomputing its BN statistics.

    The same seed gives the same z and labels at every step, so grids show progress.
    """
    prepare_sampling(gan, seed)
    z, labels = gan.sample_latents(count, tf.constant(seed, tf.int64))
    if labels is not None:
        labels = tf.range(count) % gan.num_classes  # one class per column of a 10-wide grid
    return gan.ema.average(z, labels, training=False).numpy()


def write_samples(experiment, model_dir):
    """Writes samples/step_<N>.png and samples/latest.png; returns (that path, the samples).

    Images become a 10 x 10 grid; 2-D points a scatter plot of 1,000 over the mixture's modes.
    Every task samples (so all keep the same EMA statistics); only the chief writes files.
    """
    gan = experiment.gan
    points = not experiment.info.is_image
    samples = sample_images(gan, 1000 if points else 100)
    if not is_chief(gan.strategy):
        return None, samples
    directory = os.path.join(model_dir, "samples")
    os.makedirs(directory, exist_ok=True)
    step = int(gan.step.numpy())
    path = os.path.join(directory, f"step_{step:07d}.png")
    for target in (path, os.path.join(directory, "latest.png")):
        if points:
            mixture = MIXTURES.get(experiment.info.name)
            centres = None if mixture is None else mixture.centres
            save_scatter_plot(samples, target, centres, title=f"step {step}")
        else:
            save_image_grid(samples, target, scale=2)
    return path, samples


def _write_summaries(gan, writer, metrics, steps_per_second, with_singular_values):
    step = gan.step.numpy()
    with writer.as_default(step=step):
        for name, value in metrics.items():
            group = "logits" if name in ("d_real", "d_fake") else "losses"
            tf.summary.scalar(f"{group}/{name}", value)
        tf.summary.scalar("steps_per_second", steps_per_second)
        for name, optimizer in (("generator", gan.g_optimizer), ("discriminator", gan.d_optimizer)):
            tf.summary.scalar(f"learning_rate/{name}", optimizer.learning_rate)
        if with_singular_values:
            for model in (gan.generator, gan.discriminator):
                for name, value in top_singular_value_summaries(model).items():
                    tf.summary.scalar(f"singular_values/{name}", value)
    writer.flush()


def _check_finite(metrics, step):
    bad = [name for name, value in metrics.items() if not np.isfinite(value)]
    if bad:
        raise FloatingPointError(
            f"Non-finite {', '.join(bad)} at step {step}; the last good checkpoint is kept in "
            "model_dir. Lower the learning rates, add a penalty or spectral norm, and resume."
        )


@gin.configurable
def train(
    model_dir,
    training_steps=2000,
    steps_per_loop=50,
    save_checkpoints_steps=500,
    keep_checkpoint_max=5,
    summary_steps=50,
    singular_value_steps=500,
    sample_steps=500,
    experiment=None,
    on_checkpoint=None,
):
    """Trains until `training_steps` G updates, resuming from model_dir; returns the Experiment.

    `on_checkpoint(experiment, step, path)` runs on the chief after each checkpoint is saved
    (train_and_eval scores it there).

    One call of the compiled loop runs `steps_per_loop` steps (like a TPU host loop); summaries,
    checkpoints and samples happen at the loop boundaries that cross their intervals.
    """
    os.makedirs(model_dir, exist_ok=True)
    experiment = experiment or Experiment()
    gan = experiment.gan
    chief = is_chief(gan.strategy)
    manager = checkpoint_manager(gan, model_dir, keep_checkpoint_max)
    restore(manager, model_dir)
    if chief:
        # config.gin: every binding given (later schedules reuse it); operative: those used.
        configs = {
            "config.gin": gin.config_str(),
            "operative_config.gin": gin.operative_config_str(),
        }
        for name, text in configs.items():
            with open(os.path.join(model_dir, name), "w") as file:
                file.write(text)
        writer = tf.summary.create_file_writer(os.path.join(model_dir, "train"))
    else:
        writer = tf.summary.create_noop_writer()
    iterator = experiment.distributed_iterator()
    step = int(gan.step.numpy())
    progress = tqdm.tqdm(
        total=training_steps,
        initial=step,
        desc="train",
        unit="step",
        dynamic_ncols=True,
        disable=not chief,
    )
    while step < training_steps:
        steps = min(steps_per_loop, training_steps - step)
        start = time.perf_counter()
        metrics = {k: float(v) for k, v in gan.train(iterator, tf.constant(steps)).items()}
        rate = steps / (time.perf_counter() - start)
        previous, step = step, int(gan.step.numpy())
        progress.update(step - previous)
        progress.set_postfix(d_loss=metrics["d_loss"], g_loss=metrics["g_loss"])
        _check_finite(metrics, step)

        def crossed(interval, previous=previous, step=step):
            return interval and (step // interval > previous // interval or step == training_steps)

        if crossed(summary_steps):
            _write_summaries(gan, writer, metrics, rate, crossed(singular_value_steps))
        # Samples first: they set the EMA generator's standing BN statistics, which are saved.
        if crossed(sample_steps):
            path, samples = write_samples(experiment, model_dir)
            if experiment.info.is_image:
                with writer.as_default(step=step):
                    tf.summary.image("samples", (samples[:16] + 1.0) / 2.0, max_outputs=16)
            if path:
                logging.info("Step %d: wrote %s.", step, path)
        if crossed(save_checkpoints_steps) or step == training_steps:
            path = save(manager, model_dir, step)
            if path and on_checkpoint:
                on_checkpoint(experiment, step, path)
    progress.close()
    return experiment
