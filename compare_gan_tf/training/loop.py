"""The training loop: resume from model_dir, run compiled loops of steps, call the hooks, save.

Everything a run writes lands in model_dir: checkpoints (ckpt-N), config.gin (the bindings
given) and operative_config.gin (those used), TensorBoard summaries under train/, and what the
hooks write (sample grids under samples/, scores under eval/).
"""

import contextlib
import dataclasses
import os
import signal
import time

import gin
import tensorflow as tf
import tqdm

from compare_gan_tf.errors import ConfigError, Preempted
from compare_gan_tf.training import checkpoints, faults
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.hooks import RunState, Samples, Summaries, call_hooks
from compare_gan_tf.training.lock import training_lock

_INTERVALS = ("save_checkpoints_steps", "summary_steps", "singular_value_steps", "sample_steps")


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool)


@gin.configurable("train")
@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """The loop's settings, gin's `train.*`.

    One compiled loop runs `steps_per_loop` G updates (like a TPU host loop); summaries,
    checkpoints and samples happen at the loop boundaries that cross their intervals (0 or None:
    never; the last step always saves a checkpoint).
    `checkpoint_input=True` also checkpoints the input iterator, so a resumed run sees the
    batches an uninterrupted one would (one-device strategies only; each checkpoint then holds
    the shuffle buffer and the in-memory cache: about 15 MB for the 32 px digits).
    `on_non_finite`: "stop" raises faults.NonFiniteError (a FloatingPointError); "rollback"
    restores the newest checkpoint, multiplies both (constant) learning rates by
    `rollback_lr_factor` and goes on, at most `max_rollbacks` times.
    """

    training_steps: int = 2000
    steps_per_loop: int = 50
    save_checkpoints_steps: int = 500
    keep_checkpoint_max: int = 5
    summary_steps: int = 50
    singular_value_steps: int = 500
    sample_steps: int = 500
    checkpoint_input: bool = False
    on_non_finite: str = "stop"
    rollback_lr_factor: float = 0.5
    max_rollbacks: int = 3

    def __post_init__(self):
        for name in ("training_steps", "steps_per_loop"):
            value = getattr(self, name)
            if not _is_count(value) or value < 1:
                raise ConfigError(
                    f"train.{name} must be an integer number of steps (at least 1), got "
                    f"{value!r}; bind e.g. train.{name} = 1000."
                )
        for name in _INTERVALS:
            value = getattr(self, name)
            if value is not None and (not _is_count(value) or value < 0):
                raise ConfigError(
                    f"train.{name} must be an integer number of steps (0 or None for never), "
                    f"got {value!r}; bind e.g. train.{name} = 1000."
                )
        for name, least in (("keep_checkpoint_max", 1), ("max_rollbacks", 0)):
            value = getattr(self, name)
            if not _is_count(value) or value < least:
                raise ConfigError(
                    f"train.{name} must be an integer of at least {least}, got {value!r}."
                )
        faults.check_non_finite_policy(self.on_non_finite, self.rollback_lr_factor)


def _write_configs(model_dir):
    # config.gin: every binding given (later schedules reuse it); operative: those used.
    configs = {"config.gin": gin.config_str(), "operative_config.gin": gin.operative_config_str()}
    with checkpoints.writing_to(model_dir):
        for name, text in configs.items():
            with tf.io.gfile.GFile(os.path.join(model_dir, name), "w") as file:
                file.write(text)


def train(model_dir, experiment=None, hooks=(), **settings):
    """Trains until `training_steps` G updates, resuming from model_dir; returns the Experiment.

    `settings` override gin's `train.*` (see TrainSettings). `hooks` run after the built-in
    summaries and samples (see hooks.py); `experiment` defaults to one built from gin.
    SIGTERM (to any worker of a cluster) or Ctrl-C saves a checkpoint after the current loop and
    raises errors.Preempted. model_dir's training lock (lock.py) is held throughout.
    """
    settings = TrainSettings(**settings)
    with training_lock(model_dir):
        return _train(model_dir, experiment, hooks, settings)


def _train(model_dir, experiment, hooks, settings):
    experiment = experiment or Experiment()
    checkpoints.make_model_dir(model_dir)
    gan = experiment.gan
    if settings.on_non_finite == "rollback":
        faults.check_constant_learning_rates(gan)
    chief = checkpoints.is_chief(gan.strategy)
    iterator = experiment.distributed_iterator()
    manager = checkpoints.checkpoint_manager(
        gan,
        model_dir,
        settings.keep_checkpoint_max,
        iterator if settings.checkpoint_input else None,
    )
    checkpoints.restore(manager, model_dir)
    if chief:
        _write_configs(model_dir)
        writer = tf.summary.create_file_writer(os.path.join(model_dir, "train"))
    else:
        writer = tf.summary.create_noop_writer()
    hooks = [
        Summaries(settings.summary_steps, settings.singular_value_steps),
        Samples(settings.sample_steps),
        *hooks,
    ]
    run = RunState(experiment, model_dir, settings.training_steps, chief, writer)
    run.step = int(gan.step.numpy())
    progress = tqdm.tqdm(
        total=settings.training_steps,
        initial=run.step,
        desc="train",
        unit="step",
        dynamic_ncols=True,
        disable=not chief,
    )
    rollbacks = 0
    stopping = faults.stop_requested_by(signal.SIGTERM, signal.SIGINT)
    with stopping as stop_requested, contextlib.closing(progress):
        while run.step < settings.training_steps:
            steps = min(settings.steps_per_loop, settings.training_steps - run.step)
            start = time.perf_counter()
            with faults.worker_loss_reported(model_dir, run.step):
                metrics = gan.train(iterator, tf.constant(steps))
                # The loop's one read from the device: its mean metrics (each step is one
                # strategy.run that advances the count by one, so the step is known here).
                run.metrics = {name: float(value) for name, value in metrics.items()}
            run.steps_per_second = steps / (time.perf_counter() - start)
            run.previous_step, run.step = run.step, run.step + steps
            bad = faults.non_finite(run.metrics)
            if bad:
                if settings.on_non_finite == "stop" or rollbacks == settings.max_rollbacks:
                    raise faults.non_finite_error(bad, run.step, model_dir, rollbacks)
                rollbacks += 1
                run.step = faults.roll_back(
                    gan, manager, model_dir, settings.rollback_lr_factor, bad, run.step
                )
                progress.n = run.step
                continue
            progress.update(run.step - run.previous_step)
            progress.set_postfix(d_loss=run.metrics["d_loss"], g_loss=run.metrics["g_loss"])
            call_hooks(hooks, "after_loop", run)
            saved = run.crossed(settings.save_checkpoints_steps)
            saved = saved or run.step == settings.training_steps
            if saved:
                path = checkpoints.save(manager, model_dir, run.step)
                call_hooks(hooks, "after_checkpoint", run, path)
            with faults.worker_loss_reported(model_dir, run.step):
                stop = faults.stop_agreed(gan.strategy, stop_requested.is_set())
            if stop:
                if not saved:
                    checkpoints.save(manager, model_dir, run.step)
                raise Preempted(run.step, model_dir, stop_requested.signal_name or "SIGTERM")
    return experiment
