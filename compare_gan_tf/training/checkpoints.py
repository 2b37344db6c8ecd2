"""Checkpoints in model_dir: save (keep-N), restore to resume, restore for sampling, list them.

The `checkpoint` state file is written after a checkpoint's data, so the last complete
checkpoint stays the one a rerun finds. A failed write (full disk, no permission) raises
ModelDirError. Under multi-worker training every task saves (the save is collective), but only
the chief writes model_dir; the others write to a scratch folder that `save` then removes.
"""

import contextlib
import errno
import os

import tensorflow as tf
from absl import logging

from compare_gan_tf.errors import UserError
from compare_gan_tf.paths import is_local
from compare_gan_tf.training.sampling import prepare_sampling


class ModelDirError(UserError, OSError):
    """A write in model_dir failed (full disk, no permission); earlier checkpoints are intact."""


class MissingCheckpointError(UserError, FileNotFoundError):
    """A schedule that reads checkpoints found none in model_dir."""


def is_chief(strategy):
    """Whether this task writes model_dir: the chief, or worker 0 in a cluster without one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def _model_dir_error(model_dir, error):
    latest = tf.train.latest_checkpoint(model_dir) if tf.io.gfile.isdir(model_dir) else None
    kept = f"the last complete checkpoint, {latest}, is intact" if latest else "none saved"
    return ModelDirError(
        getattr(error, "errno", None) or errno.EIO,
        f"Cannot write to model_dir {model_dir!r} ({type(error).__name__}: {error}); {kept}. "
        "Free disk space or make the folder writable (or pass another --model_dir), then rerun "
        "to resume.",
    )


@contextlib.contextmanager
def writing_to(model_dir, errors=(OSError, tf.errors.OpError)):
    """Turns a failed write in model_dir into one ModelDirError naming it and the fix."""
    try:
        yield
    except errors as error:
        raise _model_dir_error(model_dir, error) from error


def make_model_dir(model_dir):
    """Creates model_dir; local paths through os (whose errors name the local cause), others
    (gs://, ram://) through tf.io.gfile."""
    with writing_to(model_dir):
        if is_local(model_dir):
            os.makedirs(model_dir, exist_ok=True)
        else:
            tf.io.gfile.makedirs(model_dir)


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
    and the input iterator's position (shuffle buffer and cache included) when one is given."""
    items = gan.checkpoint_items()
    if iterator is not None:
        items["input"] = _checkpointable_input(iterator)
    checkpoint = tf.train.Checkpoint(**items)
    directory = model_dir
    if not is_chief(gan.strategy):
        resolver = gan.strategy.cluster_resolver
        directory = os.path.join(model_dir, f".scratch_{resolver.task_type}_{resolver.task_id}")
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=keep_checkpoint_max)


def remove_interrupted_saves(model_dir):
    """Deletes the `ckpt-N_temp` folders that a save killed midway (or a full disk) leaves
    behind; TensorFlow never removes them. Returns their paths."""
    debris = [
        path
        for path in tf.io.gfile.glob(os.path.join(model_dir, "ckpt-*_temp"))
        if tf.io.gfile.isdir(path)
    ]
    for path in debris:
        tf.io.gfile.rmtree(path)
        logging.info("Removed %s, left by an interrupted checkpoint save.", path)
    return debris


def save(manager, model_dir, step):
    """Saves checkpoint `step`; returns its path, or None on a non-chief task, whose scratch
    copy is deleted right away. The chief also removes what interrupted saves left."""
    with writing_to(model_dir):
        path = manager.save(checkpoint_number=step)
        if manager.directory == model_dir:
            remove_interrupted_saves(model_dir)
            return path
    tf.io.gfile.rmtree(manager.directory)
    return None


def restore(manager, model_dir):
    """Restores the newest checkpoint in model_dir, if any; returns its path or None. The
    chief first removes what interrupted saves left."""
    if manager.directory == model_dir:
        with writing_to(model_dir):
            remove_interrupted_saves(model_dir)
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


def checkpoint_step(path):
    """The step number N of a checkpoint path ".../ckpt-N"."""
    return int(path.rsplit("-", 1)[1])


def checkpoints(model_dir):
    """Paths of the checkpoints kept in model_dir, oldest first."""
    state = tf.train.get_checkpoint_state(model_dir)
    return list(state.all_model_checkpoint_paths) if state else []


def newest_checkpoint(model_dir, purpose):
    """The newest checkpoint's path; MissingCheckpointError saying to train when there is none."""
    path = tf.train.latest_checkpoint(model_dir)
    if path is None:
        raise MissingCheckpointError(
            f"No checkpoint in {model_dir} to {purpose}; train first (--schedule=train) or "
            "point --model_dir at a run."
        )
    return path
