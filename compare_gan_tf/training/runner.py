"""The model_dir runner: trains (resuming from model_dir), writes checkpoints, summaries, samples.

Everything a run writes lands in model_dir: checkpoints (ckpt-N), config.gin (the bindings
given) and operative_config.gin (those used), TensorBoard summaries under train/, and sample
grids under samples/.

Reliability: SIGTERM (a cloud preemption) during train() finishes the current loop, saves a
checkpoint and raises Preempted; a rerun resumes there. Under multi-worker training, SIGTERM to
any one worker stops them all at the same step. A non-finite loss stops the run, or with
`train.on_non_finite = "rollback"` restores the last checkpoint and lowers both learning rates.
A failed write in model_dir (full disk, no permission) raises ModelDirError; the `checkpoint`
state file is written after a checkpoint's data, so the last complete checkpoint stays the one a
rerun finds.
"""

import contextlib
import errno
import os
import re
import signal
import threading
import time

import gin
import keras
import numpy as np
import tensorflow as tf
import tqdm
from absl import logging

from compare_gan_tf.data import MIXTURES
from compare_gan_tf.training.ema import standing_statistics
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.monitor import top_singular_value_summaries
from compare_gan_tf.training.samples import save_image_grid, save_scatter_plot
from compare_gan_tf.training.strategy import has_several_tasks

SAMPLE_SEED = (2019, 11)
NON_FINITE_POLICIES = ("stop", "rollback")


def is_chief(strategy):
    """Whether this task writes model_dir: the chief, or worker 0 in a cluster without one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


class Preempted(Exception):  # noqa: N818 (a clean stop, not an error)
    """train() stopped on SIGTERM after saving the checkpoint of `step`; a rerun resumes there."""

    def __init__(self, step, model_dir):
        super().__init__(
            f"Preempted (SIGTERM) at step {step}: saved checkpoint ckpt-{step} in {model_dir}. "
            "Rerun the same command to resume from it."
        )
        self.step = step


class ModelDirError(OSError):
    """A write in model_dir failed (full disk, no permission); earlier checkpoints are intact."""


def _model_dir_error(model_dir, error):
    latest = tf.train.latest_checkpoint(model_dir) if os.path.isdir(model_dir) else None
    kept = f"the last complete checkpoint, {latest}, is intact" if latest else "none saved"
    return ModelDirError(
        getattr(error, "errno", None) or errno.EIO,
        f"Cannot write to model_dir {model_dir!r} ({type(error).__name__}: {error}); {kept}. "
        "Free disk space or make the folder writable (or pass another --model_dir), then rerun "
        "to resume.",
    )


@contextlib.contextmanager
def _writing_to(model_dir, errors=(OSError, tf.errors.OpError)):
    """Turns a failed write in model_dir into one ModelDirError naming it and the fix."""
    try:
        yield
    except errors as error:
        raise _model_dir_error(model_dir, error) from error


def _checkpointable_input(iterator):
    # TF 2.21: only a plain tf.data iterator (one device) is trackable; tf.distribute's
    # DistributedIterator (MirroredStrategy, TPUStrategy, multi-worker) is not.
    if not isinstance(iterator, tf.data.Iterator):
        raise ValueError(
            f"train.checkpoint_input=True needs a one-device strategy; the input iterator of "
            f"this strategy ({type(iterator).__name__}) cannot be checkpointed in TensorFlow "
            f"{tf.__version__}. Set train.checkpoint_input=False."
        )
    return iterator


def checkpoint_manager(gan, model_dir, keep_checkpoint_max=5, iterator=None):
    """A CheckpointManager over everything `gan` needs to resume (weights, slots, EMA, u, step),
    and the input iterator's position (shuffle buffer and cache included) when one is given.

    Under multi-worker training every task must save (the save is collective), but only the
    chief writes model_dir; the others write to a scratch folder that `save` then removes.
    """
    items = gan.checkpoint_items()
    if iterator is not None:
        items["input"] = _checkpointable_input(iterator)
    checkpoint = tf.train.Checkpoint(**items)
    directory = model_dir
    if not is_chief(gan.strategy):
        resolver = gan.strategy.cluster_resolver
        directory = os.path.join(model_dir, f".scratch_{resolver.task_type}_{resolver.task_id}")
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=keep_checkpoint_max)


def save(manager, model_dir, step):
    """Saves checkpoint `step`; returns its path, or None on a non-chief task, whose scratch
    copy is deleted right away."""
    with _writing_to(model_dir):
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


def restore_for_sampling(gan, path):
    """Restores checkpoint `path` into `gan` for sampling (scoring, export): weights and step,
    then the EMA generator's standing BN statistics; returns the step."""
    tf.train.Checkpoint(**gan.checkpoint_items()).restore(path).assert_existing_objects_matched()
    prepare_sampling(gan)
    return int(gan.step.numpy())


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


def _non_finite(metrics):
    return [name for name, value in metrics.items() if not np.isfinite(value)]


def _non_finite_error(bad, step, model_dir, rollbacks=0):
    tried = f" after {rollbacks} rollbacks" if rollbacks else ""
    latest = tf.train.latest_checkpoint(model_dir)
    if latest:
        kept = f"the last good checkpoint, {os.path.basename(latest)}, is kept in {model_dir}"
        fix = "and resume (or set"
    else:
        kept = "no checkpoint was saved before it, so there is nothing to resume from"
        fix = "and start again (or save checkpoints more often and set"
    return FloatingPointError(
        f"Non-finite {', '.join(bad)} at step {step}{tried}; {kept}. Lower the learning rates, "
        f'add a penalty or spectral norm, {fix} train.on_non_finite = "rollback").'
    )


def _check_non_finite_policy(on_non_finite, rollback_lr_factor):
    if on_non_finite not in NON_FINITE_POLICIES:
        raise ValueError(
            f"Unknown train.on_non_finite {on_non_finite!r}; use one of {NON_FINITE_POLICIES}."
        )
    if on_non_finite == "rollback" and not 0.0 < rollback_lr_factor < 1.0:
        raise ValueError(
            f"train.rollback_lr_factor must be in (0, 1) to lower the rates; got "
            f"{rollback_lr_factor!r}."
        )


def _check_constant_learning_rates(gan):
    for name, optimizer in (("generator", gan.g_optimizer), ("discriminator", gan.d_optimizer)):
        # A schedule computes the rate from the step; Keras cannot rescale it in place.
        if not isinstance(optimizer.learning_rate, keras.Variable):
            raise ValueError(
                f'train.on_non_finite = "rollback" needs constant learning rates, but the '
                f"{name} optimizer uses a schedule; unset {name}/adam.decay_steps or use "
                '"stop".'
            )


def _roll_back(gan, manager, model_dir, factor, bad, step):
    """Restores the newest checkpoint, then sets both learning rates to `factor` times the ones
    that diverged (the restore sets them back to the saved rates); returns the restored step."""
    optimizers = (gan.g_optimizer, gan.d_optimizer)
    rates = [float(optimizer.learning_rate) for optimizer in optimizers]
    if restore(manager, model_dir) is None:
        raise _non_finite_error(bad, step, model_dir)
    for optimizer, rate in zip(optimizers, rates):
        optimizer.learning_rate = rate * factor
    restored = int(gan.step.numpy())
    logging.warning(
        "Non-finite %s at step %d: rolled back to step %d; learning rates now G %.3g, D %.3g.",
        ", ".join(bad),
        step,
        restored,
        float(gan.g_optimizer.learning_rate),
        float(gan.d_optimizer.learning_rate),
    )
    return restored


@contextlib.contextmanager
def _stop_requested_by(signum):
    """Yields an Event that `signum` sets while the block runs; the previous handler is restored
    after. Python handles signals only in the main thread: elsewhere the event stays unset."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return
    previous = signal.signal(signum, lambda *_: requested.set())
    try:
        yield requested
    finally:
        signal.signal(signum, signal.SIG_DFL if previous is None else previous)


def _write_configs(model_dir):
    # config.gin: every binding given (later schedules reuse it); operative: those used.
    configs = {"config.gin": gin.config_str(), "operative_config.gin": gin.operative_config_str()}
    with _writing_to(model_dir):
        for name, text in configs.items():
            with open(os.path.join(model_dir, name), "w") as file:
                file.write(text)


def _is_multi_worker(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return False
    return has_several_tasks(resolver.cluster_spec().as_dict())


@tf.function
def _sum_over_replicas(strategy, value):
    per_replica = strategy.run(lambda: tf.identity(value))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


def _stop_agreed(strategy, requested):
    """Whether any worker got SIGTERM. Workers must stop at the same step, since the final save
    is collective, and a preemption may signal one host only; so the flag is summed over the
    cluster at every loop boundary (one scalar all-reduce, only under multi-worker training).
    tf.distribute's PreemptionCheckpointHandler agrees too, but through its own run counter and
    checkpoint managers, which would bypass the chief-only writes of `save`."""
    if not _is_multi_worker(strategy):
        return requested
    return float(_sum_over_replicas(strategy, tf.constant(float(requested)))) > 0


class WorkerLostError(RuntimeError):
    """A peer of a multi-worker run stopped; the run must be restarted on every worker."""


@contextlib.contextmanager
def _worker_loss_reported(model_dir, step):
    """Turns the collectives' errors about a lost peer into WorkerLostError.

    A dead worker aborts the survivors' collectives with UnavailableError (or AbortedError):
    about 20 s later when the coordination service misses its heartbeats (TF 2.21), or at once
    when its connection resets (the chief, which hosts that service). So no collective timeout
    is needed to stop the survivors of a death; a worker that hangs alive trips the collective
    timeout, if make_strategy.collective_timeout_seconds sets one.
    """
    try:
        yield
    except tf.errors.DeadlineExceededError:
        raise WorkerLostError(
            f"a collective waited longer than make_strategy.collective_timeout_seconds after "
            f"step {step}: a worker hung or fell far behind; restart all workers to resume "
            f"from the last checkpoint in {model_dir}."
        ) from None
    except (tf.errors.UnavailableError, tf.errors.AbortedError) as error:
        tasks = sorted(set(re.findall(r"/job:\w+/replica:\d+/task:(\d+)", error.message)))
        if "heartbeat" in error.message:
            how = "stopped responding (no heartbeats)"
        elif tasks:
            how = "became unreachable"
        else:
            raise
        who = f"worker {', '.join(tasks)}" if tasks else "a worker"
        raise WorkerLostError(
            f"{who} {how} after step {step}; restart all workers to resume from the last "
            f"checkpoint in {model_dir}."
        ) from None


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
    checkpoint_input=False,
    on_non_finite="stop",
    rollback_lr_factor=0.5,
    max_rollbacks=3,
    experiment=None,
    on_checkpoint=None,
):
    """Trains until `training_steps` G updates, resuming from model_dir; returns the Experiment.

    `on_checkpoint(experiment, step, path)` runs on every task after each checkpoint is saved
    (path is None on tasks that do not write model_dir): train_and_eval scores it there, on all
    tasks, since recomputing the EMA generator's statistics is a collective step.

    One call of the compiled loop runs `steps_per_loop` steps (like a TPU host loop); summaries,
    checkpoints and samples happen at the loop boundaries that cross their intervals.

    `checkpoint_input=True` also checkpoints the input iterator, so a resumed run sees the batches
    an uninterrupted one would (one-device strategies only; each checkpoint then holds the
    shuffle buffer and the in-memory cache: about 15 MB for the 32 px digits).
    `on_non_finite`: "stop" raises FloatingPointError; "rollback" restores the newest checkpoint,
    multiplies both (constant) learning rates by `rollback_lr_factor` and goes on, at most
    `max_rollbacks` times. SIGTERM (to any worker of a cluster) saves a checkpoint after the
    current loop and raises Preempted.
    """
    _check_non_finite_policy(on_non_finite, rollback_lr_factor)
    with _writing_to(model_dir):
        os.makedirs(model_dir, exist_ok=True)
    experiment = experiment or Experiment()
    gan = experiment.gan
    if on_non_finite == "rollback":
        _check_constant_learning_rates(gan)
    chief = is_chief(gan.strategy)
    iterator = experiment.distributed_iterator()
    manager = checkpoint_manager(
        gan, model_dir, keep_checkpoint_max, iterator if checkpoint_input else None
    )
    restore(manager, model_dir)
    if chief:
        _write_configs(model_dir)
        writer = tf.summary.create_file_writer(os.path.join(model_dir, "train"))
    else:
        writer = tf.summary.create_noop_writer()
    step = int(gan.step.numpy())
    progress = tqdm.tqdm(
        total=training_steps,
        initial=step,
        desc="train",
        unit="step",
        dynamic_ncols=True,
        disable=not chief,
    )
    rollbacks = 0
    with _stop_requested_by(signal.SIGTERM) as stop_requested, contextlib.closing(progress):
        while step < training_steps:
            steps = min(steps_per_loop, training_steps - step)
            start = time.perf_counter()
            with _worker_loss_reported(model_dir, step):
                metrics = {k: float(v) for k, v in gan.train(iterator, tf.constant(steps)).items()}
            rate = steps / (time.perf_counter() - start)
            previous, step = step, int(gan.step.numpy())
            bad = _non_finite(metrics)
            if bad:
                if on_non_finite == "stop" or rollbacks == max_rollbacks:
                    raise _non_finite_error(bad, step, model_dir, rollbacks)
                rollbacks += 1
                step = _roll_back(gan, manager, model_dir, rollback_lr_factor, bad, step)
                progress.n = step
                continue
            progress.update(step - previous)
            progress.set_postfix(d_loss=metrics["d_loss"], g_loss=metrics["g_loss"])

            def crossed(interval, previous=previous, step=step):
                return interval and (
                    step // interval > previous // interval or step == training_steps
                )

            if crossed(summary_steps):
                with _writing_to(model_dir):
                    _write_summaries(gan, writer, metrics, rate, crossed(singular_value_steps))
            # Samples first: they set the EMA generator's standing BN statistics, which are saved.
            if crossed(sample_steps):
                # OSError only: the PNG writes raise it; an OpError here is sampling's, not disk's.
                with _writing_to(model_dir, errors=OSError):
                    path, samples = write_samples(experiment, model_dir)
                if experiment.info.is_image:
                    with writer.as_default(step=step):
                        tf.summary.image("samples", (samples[:16] + 1.0) / 2.0, max_outputs=16)
                if path:
                    logging.info("Step %d: wrote %s.", step, path)
            saved = crossed(save_checkpoints_steps) or step == training_steps
            if saved:
                path = save(manager, model_dir, step)
                if on_checkpoint:
                    on_checkpoint(experiment, step, path)
            with _worker_loss_reported(model_dir, step):
                stop = _stop_agreed(gan.strategy, stop_requested.is_set())
            if stop:
                if not saved:
                    save(manager, model_dir, step)
                raise Preempted(step, model_dir)
    return experiment
