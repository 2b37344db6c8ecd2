"""Chooses the tf.distribute strategy: TPU, several GPUs, several hosts, or one device."""

import json
import os

import gin
import tensorflow as tf
from absl import logging

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import UserError

STRATEGIES = ("auto", "tpu", "mirrored", "multi_worker", "default")


class StrategyError(UserError, RuntimeError):
    """The requested strategy cannot run on this machine."""


def _tpu_strategy(tpu_address):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as error:
        raise StrategyError(
            f"strategy='tpu' but no TPU was found (tpu={tpu_address!r}: {error}). Run on a TPU "
            "VM, pass the TPU's name or grpc:// address as tpu=..., or use strategy='auto'."
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def has_several_tasks(cluster):
    """Whether a cluster ({job: [addresses]}, as in $TF_CONFIG) has more than one task."""
    return sum(len(tasks) for tasks in cluster.values()) > 1


def _has_several_workers():
    return has_several_tasks(json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {}))


def _auto_kind(tpu_address):
    if tpu_address or os.environ.get("TPU_NAME"):
        return "tpu"
    if _has_several_workers():
        return "multi_worker"
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return "mirrored"
    return "default"


def _communication_options(collective_timeout_seconds):
    if collective_timeout_seconds is None:
        return None
    if isinstance(collective_timeout_seconds, bool) or not (
        isinstance(collective_timeout_seconds, int | float) and collective_timeout_seconds > 0
    ):
        raise ValueError(
            f"make_strategy.collective_timeout_seconds must be a positive number of seconds or "
            f"None, got {collective_timeout_seconds!r}."
        )
    return tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=float(collective_timeout_seconds)
    )


@gin.configurable
def make_strategy(kind="auto", tpu=None, collective_timeout_seconds=None):
    """Returns the strategy named by `kind` (one of STRATEGIES).

    "auto" picks a TPU when one is named (`tpu` or $TPU_NAME), MultiWorkerMirroredStrategy when
    $TF_CONFIG lists several tasks, MirroredStrategy over several GPUs, else the default strategy.

    `collective_timeout_seconds` (multi-worker only): a collective that waits longer fails, so a
    worker that hangs without dying (its heartbeats go on) stops the others instead of blocking
    them forever. TensorFlow runs a timer thread per collective, so keep it off unless needed,
    and above the slowest step plus the spread of the workers' tracing times (a minute or more).
    A worker that dies is detected without it.
    """
    check_choice("strategy", kind, STRATEGIES)
    communication_options = _communication_options(collective_timeout_seconds)
    if kind == "auto":
        kind = _auto_kind(tpu)
    if kind == "tpu":
        # "local" is a TPU VM's own chips; otherwise a TPU name or grpc:// address.
        strategy = _tpu_strategy(tpu or os.environ.get("TPU_NAME") or "local")
    elif kind == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise StrategyError(
                "strategy='multi_worker' needs $TF_CONFIG describing the cluster and this task; "
                "set it on every host, or use strategy='mirrored' on one host."
            )
        strategy = tf.distribute.MultiWorkerMirroredStrategy(
            communication_options=communication_options
        )
    elif kind == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    logging.info("Strategy %s with %d replicas.", kind, strategy.num_replicas_in_sync)
    return strategy
