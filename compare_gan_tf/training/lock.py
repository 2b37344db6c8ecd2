"""A lock on model_dir while a run trains there, so two trainers never write the same ckpt-N.

The lock is the file model_dir/train.lock (JSON: host, pid, token, heartbeat time), written
through tf.io.gfile so a gs:// model_dir works. A thread refreshes the heartbeat every
HEARTBEAT_SECONDS. Another trainer that finds a live lock stops at once with
ModelDirLockedError naming the owner. A lock is stale, and is taken over with a warning, when
its process is gone (same host, pid no longer alive) or its heartbeat is older than
STALE_SECONDS (another host, or a process that hangs). Evaluation and export only read model_dir
and take no lock. Only the chief of a cluster takes it: the other workers write nothing.
Two trainers started within the same instant on an object store can both miss each other's
lock; each re-reads the file after writing it, which narrows but does not close that window.
"""

import contextlib
import json
import os
import socket
import threading
import time
import uuid

import tensorflow as tf
from absl import logging

from compare_gan_tf.errors import UserError
from compare_gan_tf.files import write_atomically
from compare_gan_tf.training.checkpoints import make_model_dir

LOCK_NAME = "train.lock"
HEARTBEAT_SECONDS = 30.0
STALE_SECONDS = 600.0
# model_dirs whose lock this process holds, with the depth of nested holds (run() and train()).
_held = {}
_held_guard = threading.Lock()


class ModelDirLockedError(UserError, RuntimeError):
    """Another live trainer holds model_dir's lock; the message names it and the ways out."""


def lock_path(model_dir):
    return f"{os.fspath(model_dir).rstrip('/')}/{LOCK_NAME}"


def _is_chief_task():
    """Whether $TF_CONFIG makes this process the task that writes model_dir (as is_chief)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    if not task.get("type") or task["type"] == "chief":
        return True
    has_chief = "chief" in (config.get("cluster") or {})
    return task["type"] == "worker" and int(task.get("index", 0)) == 0 and not has_chief


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _read(path):
    """The lock's contents, or None when there is none (or it is unreadable: a torn write)."""
    try:
        with tf.io.gfile.GFile(path) as file:
            return json.loads(file.read())
    except tf.errors.NotFoundError:
        return None
    except (ValueError, tf.errors.OpError):
        return {}


def _staleness(owner, stale_seconds):
    """Why `owner`'s lock is stale, or None when it is live."""
    if not owner:
        return "the lock file is unreadable"
    age = time.time() - float(owner.get("heartbeat", 0))
    if owner.get("host") == socket.gethostname() and not _pid_alive(int(owner.get("pid", -1))):
        return f"process {owner.get('pid')} is no longer running"
    if age > stale_seconds:
        return f"its last heartbeat was {age:.0f} s ago (more than {stale_seconds:.0f} s)"
    return None


def _locked_error(model_dir, path, owner, stale_seconds):
    age = time.time() - float(owner.get("heartbeat", 0))
    return ModelDirLockedError(
        f"{model_dir} is being trained by process {owner.get('pid')} on host "
        f"{owner.get('host')} (lock {path}, heartbeat {age:.0f} s ago), so this run stopped "
        "before writing anything. Wait for that run to finish or stop it, or train in another "
        f"model_dir. A lock whose process is gone is taken over; one from another host after "
        f"{stale_seconds:.0f} s without a heartbeat, or delete {path} once that run is surely "
        "stopped."
    )


def _acquire(model_dir, path, stale_seconds):
    """Writes this process's lock; returns its contents. Raises ModelDirLockedError."""
    owner = _read(path)
    if owner is not None:
        why = _staleness(owner, stale_seconds)
        if why is None:
            raise _locked_error(model_dir, path, owner, stale_seconds)
        logging.warning(
            "Taking over the stale training lock %s of process %s on host %s: %s.",
            path,
            owner.get("pid"),
            owner.get("host"),
            why,
        )
    make_model_dir(os.fspath(model_dir))
    mine = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "token": uuid.uuid4().hex,
        "heartbeat": time.time(),
    }
    write_atomically(path, json.dumps(mine))
    current = _read(path)
    if current and current.get("token") != mine["token"]:  # another trainer wrote after us
        raise _locked_error(model_dir, path, current, stale_seconds)
    return mine


def _beat(path, mine, stop, heartbeat_seconds):
    """Refreshes the heartbeat until `stop` is set, unless the lock has been taken over."""
    while not stop.wait(heartbeat_seconds):
        try:
            if (_read(path) or {}).get("token") != mine["token"]:
                logging.warning("The training lock %s was taken over by another run.", path)
                return
            write_atomically(path, json.dumps(dict(mine, heartbeat=time.time())))
        except OSError as error:  # a full disk or a network hiccup: try again next beat
            logging.warning("Could not refresh the training lock %s: %s", path, error)


def _release(path, mine):
    try:
        if (_read(path) or {}).get("token") == mine["token"]:
            tf.io.gfile.remove(path)
    except (OSError, tf.errors.OpError) as error:
        logging.warning("Could not remove the training lock %s: %s", path, error)


@contextlib.contextmanager
def training_lock(model_dir, heartbeat_seconds=HEARTBEAT_SECONDS, stale_seconds=STALE_SECONDS):
    """Holds model_dir's training lock while the block runs (see the module's docstring).

    Nested holds by the same process share one lock. The lock is released when the block ends,
    by return, exception, preemption or Ctrl-C; a killed process leaves it to be taken over.
    """
    key = os.fspath(model_dir).rstrip("/")
    with _held_guard:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested or not _is_chief_task():
        try:
            yield
        finally:
            with _held_guard:
                if nested:
                    _held[key] -= 1
        return
    path = lock_path(model_dir)
    mine = _acquire(model_dir, path, stale_seconds)
    with _held_guard:
        _held[key] = 1
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(path, mine, stop, heartbeat_seconds), daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
        with _held_guard:
            del _held[key]
        _release(path, mine)
