"""Fault handling in the training loop: SIGTERM (preemption), non-finite losses, lost workers.

SIGTERM (a cloud preemption) or Ctrl-C (SIGINT) finishes the current loop, saves a checkpoint
and raises errors.Preempted (raised by the loop); a second Ctrl-C stops at once. Under
multi-worker training SIGTERM to any one worker stops them all at the same step. A non-finite
loss stops the run, or with `train.on_non_finite = "rollback"` restores the last
checkpoint and lowers both learning rates. A peer that dies or hangs raises WorkerLostError.
"""

import contextlib
import os
import re
import signal
import threading

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import ConfigError, UserError
from compare_gan_tf.training.checkpoints import restore
from compare_gan_tf.training.strategy import has_several_tasks

NON_FINITE_POLICIES = ("stop", "rollback")


class NonFiniteError(UserError, FloatingPointError):
    """Training stopped on a non-finite loss; the message names the step, terms and fixes."""


class WorkerLostError(UserError, RuntimeError):
    """A peer of a multi-worker run stopped; the run must be restarted on every worker."""


class StopRequest(threading.Event):
    """Set by a stop signal; `signal_name` names the first one received."""

    signal_name = None


@contextlib.contextmanager
def stop_requested_by(*signums):
    """Yields a StopRequest that any of `signums` sets while the block runs; the previous
    handlers are restored after. A second SIGINT (Ctrl-C twice) raises KeyboardInterrupt at
    once. Python handles signals only in the main thread: elsewhere the event stays unset."""
    requested = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def request(signum, frame):
        name = signal.Signals(signum).name
        if requested.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if not requested.is_set():
            requested.signal_name = name
            logging.warning(
                "%s received: stopping after the current loop with a checkpoint%s.",
                name,
                " (Ctrl-C again to stop at once, without one)" if name == "SIGINT" else "",
            )
        requested.set()

    previous = {signum: signal.signal(signum, request) for signum in signums}
    try:
        yield requested
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _is_multi_worker(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return False
    return has_several_tasks(resolver.cluster_spec().as_dict())


@tf.function
def _sum_over_replicas(strategy, value):
    per_replica = strategy.run(lambda: tf.identity(value))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


def stop_agreed(strategy, requested):
    """Whether any worker got SIGTERM. Workers must stop at the same step, since the final save
    is collective, and a preemption may signal one host only; so the flag is summed over the
    cluster at every loop boundary (one scalar all-reduce, only under multi-worker training).
    tf.distribute's PreemptionCheckpointHandler agrees too, but through its own run counter and
    checkpoint managers, which would bypass the chief-only writes of `checkpoints.save`."""
    if not _is_multi_worker(strategy):
        return requested
    return float(_sum_over_replicas(strategy, tf.constant(float(requested)))) > 0


@contextlib.contextmanager
def worker_loss_reported(model_dir, step):
    """Turns the collectives' errors about a lost peer into WorkerLostError.

    A dead worker aborts the survivors' collectives with UnavailableError (or AbortedError):
    about 20 s later when the coordination service misses its heartbeats (TF 2.21), or at once
    when its connection resets (the chief, which hosts that service). A worker that hangs alive
    trips the collective timeout, if make_strategy.collective_timeout_seconds sets one.
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


def non_finite(metrics):
    """Names of the metrics that are NaN or infinite."""
    return [name for name, value in metrics.items() if not np.isfinite(value)]


def non_finite_error(bad, step, model_dir, rollbacks=0):
    tried = f" after {rollbacks} rollbacks" if rollbacks else ""
    latest = tf.train.latest_checkpoint(model_dir)
    if latest:
        kept = f"the last good checkpoint, {os.path.basename(latest)}, is kept in {model_dir}"
        fix = "and resume (or set"
    else:
        kept = "no checkpoint was saved before it, so there is nothing to resume from"
        fix = "and start again (or save checkpoints more often and set"
    return NonFiniteError(
        f"Non-finite {', '.join(bad)} at step {step}{tried}; {kept}. Lower the learning rates, "
        f'add a penalty or spectral norm, {fix} train.on_non_finite = "rollback").'
    )


def check_non_finite_policy(on_non_finite, rollback_lr_factor):
    check_choice("train.on_non_finite", on_non_finite, NON_FINITE_POLICIES, error=ConfigError)
    if on_non_finite == "rollback" and not 0.0 < rollback_lr_factor < 1.0:
        raise ConfigError(
            f"train.rollback_lr_factor must be in (0, 1) to lower the rates; got "
            f"{rollback_lr_factor!r}."
        )


def check_constant_learning_rates(gan):
    for name, optimizer in (("generator", gan.g_optimizer), ("discriminator", gan.d_optimizer)):
        # A schedule computes the rate from the step; Keras cannot rescale it in place.
        if not isinstance(optimizer.learning_rate, keras.Variable):
            raise ConfigError(
                f'train.on_non_finite = "rollback" needs constant learning rates, but the '
                f"{name} optimizer uses a schedule; unset its warmup_steps and decay_steps "
                f'(e.g. {name}/adam.decay_steps) or use "stop".'
            )


def roll_back(gan, manager, model_dir, factor, bad, step):
    """Restores the newest checkpoint, then sets both learning rates to `factor` times the ones
    that diverged (the restore sets them back to the saved rates); returns the restored step."""
    optimizers = (gan.g_optimizer, gan.d_optimizer)
    rates = [float(optimizer.learning_rate) for optimizer in optimizers]
    if restore(manager, model_dir) is None:
        raise non_finite_error(bad, step, model_dir)
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
